module example.com/modern

go 1.22

require (
	github.com/acme/core-utils/v2 v2.0.3
)
