// Billing service.
module github.com/acme/billing-service

go 1.22

require (
	// core libraries
	github.com/acme/core-utils-extra   v1.4.0
	github.com/otherco/core-utils v1.4.0 // not ours
	"github.com/acme/core-utils"		v1.4.2 // indirect; pinned for billing
	// github.com/acme/core-utils v1.0.0
	golang.org/x/text v0.14.0 // indirect
)

exclude github.com/acme/core-utils v1.3.0