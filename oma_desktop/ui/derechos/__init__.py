"""«Derechos y consentimiento»: data-protection requests and the retention review."""
