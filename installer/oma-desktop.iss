; OMA Desktop — Windows installer (Inno Setup 6.3 or newer).
;
; Build (from the repository root, after the PyInstaller build in dist\oma-desktop\;
; docs/instalacion.md has every step):
;
;     .venv\Scripts\python installer\build_windows.py
;
; which builds, smoke-tests and then runs, with the program's own version,
;
;     iscc /DAppVersion=0.1.0 /DFileVersion=0.1.0.0 installer\oma-desktop.iss
;
; AppVersion must be oma_desktop.__version__ (the version the program reports with
; --version, and installer/version_info.py writes into oma-desktop.exe). The result is
; dist\oma-desktop-<version>-windows-x64-setup.exe.
;
; What it does:
; - installs the one-folder build to {autopf}\OMA Desktop (C:\Program Files\OMA Desktop),
;   with a Start-menu shortcut and an optional desktop shortcut (ticked by default);
; - installing a newer version over an older one (same AppId) replaces the program files
;   only: the program backs the data up and migrates it the first time it starts;
; - the data folder is NOT under Program Files and this script never touches it: each
;   Windows user's %LOCALAPPDATA%\oma-desktop (or the folder chosen in the first-run
;   assistant). Uninstalling keeps it — see [UninstallDelete] below, which lists nothing
;   of it on purpose;
; - only the copying of files runs as administrator: the program, started from the last
;   page, runs as the user who started Setup (runasoriginaluser), never elevated.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z installer\oma-desktop.iss (X.Y.Z = oma_desktop.__version__)
#endif
#ifndef FileVersion
  ; Windows wants four numbers (0.1.0 -> 0.1.0.0); build_windows.py passes them
  #define FileVersion AppVersion
#endif
#if VER < EncodeVer(6,3,0)
  #error Inno Setup 6.3 or newer is required (x64compatible, {autopf}, {autoprograms})
#endif

#define AppName "OMA Desktop"
#define AppExe "oma-desktop.exe"
#define AppPublisher "Municipalidad Metropolitana de Lima"

[Setup]
; The AppId identifies OMA Desktop to Windows and to later installers: NEVER change it,
; or a new version would install beside the old one instead of upgrading it.
; (The first brace is doubled because Inno Setup reads "{" as the start of a constant.)
AppId={{F141F0EC-875B-4F1D-BD37-5839B18BDB8E}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppCopyright=© {#AppPublisher}
AppComments=Oficina Municipal de Atención al Vecino Migrante
VersionInfoVersion={#FileVersion}
VersionInfoProductName={#AppName}
VersionInfoCompany={#AppPublisher}
VersionInfoDescription=Instalador de {#AppName}

; Program Files for every user of the PC (installs need an administrator); IT can run
; it with /CURRENTUSER on a PC where it has no administrator rights: {autopf} is then
; %LOCALAPPDATA%\Programs and nothing needs elevation
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=commandline
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
; a 64-bit program (Python and Qt for x64), Windows 10 or newer (Qt 6)
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0

; the program may be open during an upgrade: Setup asks to close it
CloseApplications=yes
RestartApplications=no

UninstallDisplayName={#AppName}
UninstallDisplayIcon={app}\{#AppExe}
SetupIconFile=..\resources\icons\oma-desktop.ico
WizardStyle=modern
ShowLanguageDialog=no

OutputDir=..\dist
OutputBaseFilename=oma-desktop-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes

[Languages]
Name: "spanish"; MessagesFile: "compiler:Languages\Spanish.isl"

[CustomMessages]
spanish.DataKept=OMA Desktop se desinstaló. Los datos (personas, atenciones, derivaciones, respaldos y claves) NO se borraron: siguen en la carpeta de datos de cada usuario (AppData\Local\oma-desktop) o en la carpeta elegida en el primer inicio. Si vuelve a instalar OMA Desktop, los encontrará como estaban.
spanish.StartMenuComment=Atención al vecino migrante: personas, atenciones y derivaciones

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[InstallDelete]
; An upgrade first removes the previous version's program files (never the data, which is
; not in {app}): a library left over from an older build must not be loaded by the new one.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
; the PyInstaller one-folder build (pyinstaller installer\oma-desktop.spec)
Source: "..\dist\oma-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "{cm:StartMenuComment}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "{cm:StartMenuComment}"; Tasks: desktopicon

[Run]
; runasoriginaluser: the program starts as the user who ran Setup, not as administrator
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: postinstall nowait skipifsilent runasoriginaluser

[UninstallDelete]
; Deliberately empty. The uninstaller removes only what [Files] installed into {app}.
; The data folder (%LOCALAPPDATA%\oma-desktop of each user, or the folder chosen in the
; first-run assistant) holds the only copy of the office's records and the keys that open
; them: it is KEPT on uninstall. Never add it here.

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent then
    MsgBox(CustomMessage('DataKept'), mbInformation, MB_OK);
end;
