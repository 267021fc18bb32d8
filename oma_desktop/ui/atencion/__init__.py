"""The Atención page (the default screen) and the consultation form."""
