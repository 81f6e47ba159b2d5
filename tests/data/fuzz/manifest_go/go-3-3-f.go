3package fixture

import "github.com/acme/core-utils"
