Qthis is not parsed: the go command ignores vendor/
