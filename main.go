// Command huhang runs Huhang (护航), the platform a city education bureau
// uses to run its school mental-health programme. See README.md.
package main

import (
	"os"

	"huhang/internal/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
}
