package clocktest_test

import (
	"fmt"
	"time"

	"github.com/onboardkit/onboardkit/clocktest"
)

func Example() {
	clk := clocktest.Default()
	start := clk.Now()
	clk.Advance(10 * time.Minute) // a one-time code's lifetime, without sleeping
	fmt.Println(clk.Now().Sub(start))
	// Output: 10m0s
}
