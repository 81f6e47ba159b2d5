// Command payments serves payments.
package main

import (
	"fmt"

	"github.com/acme/core-utils"
	cuextra "github.com/acme/core-utils-extra/pkg/retry"
)

func main() {
	fmt.Println(coreutils.Version, cuextra.Max, "github.com/acme/core-utils")
}
