//go:build !(linux || darwin || freebsd)

package retrieval

import (
	"io"
	"os"
)

// mapFile reads the whole file where memory mapping is not wired up: the
// same layout works from the heap, only start-up copies it.
func mapFile(f *os.File, size int64) ([]byte, error) {
	b := make([]byte, size)
	_, err := io.ReadFull(f, b)
	return b, err
}

func unmapFile([]byte) {}
