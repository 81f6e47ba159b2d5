module github.com/acme/mono/api

go 1.22

require github.com/acme/core-utils v1.5.0
