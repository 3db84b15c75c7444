//go:build linux || darwin || freebsd

package retrieval

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps a whole file into memory, private and copy-on-write: the
// search structures built over it may be changed in place (a removed
// passage's vector is cleared) without the file ever changing. Pages come
// from the page cache, so a fresh process does not copy or decode them.
// The mapping is never unmapped: strings handed out point into it.
func mapFile(f *os.File, size int64) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	if int64(int(size)) != size {
		return nil, fmt.Errorf("%d bytes do not fit in memory", size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", f.Name(), err)
	}
	return b, nil
}

// unmapFile releases a mapping nothing points into (a snapshot that
// failed its checks).
func unmapFile(b []byte) {
	if b != nil {
		_ = syscall.Munmap(b)
	}
}
