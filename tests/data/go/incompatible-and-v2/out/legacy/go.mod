module example.com/legacy

go 1.16

require github.com/acme/core-utils v2.0.3+incompatible
