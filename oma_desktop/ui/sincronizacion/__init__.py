"""«Sincronización»: the USB exchange between a casa and headquarters (issue #10)."""
