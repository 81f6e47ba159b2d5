spackage ledger

import cu "github.com/acme/core-utils/pkg/money" // aliased

/* import "github.com/acme/core-utils/pkg/old" */

var Zero = cu.Zero
