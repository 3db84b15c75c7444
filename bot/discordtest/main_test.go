package discordtest_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain fails the run if the fake or discordgo left goroutines behind
// once every test's cleanup has run.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if left := leftovers(3 * time.Second); left != "" {
			fmt.Fprintf(os.Stderr, "goroutines left after the tests:\n%s\n", left)
			code = 1
		}
	}
	os.Exit(code)
}

// leftovers waits up to grace for goroutines running fake or discordgo code
// to end, and returns the stacks of any that remain.
func leftovers(grace time.Duration) string {
	deadline := time.Now().Add(grace)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "bwmarrin/discordgo") || strings.Contains(g, "bot/discordtest.") {
				left = append(left, g)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return strings.Join(left, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
