module github.com/acme/mono/tools

go 1.22

require github.com/acme/core-utils v1.2.0 // indirect
