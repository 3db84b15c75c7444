package answer

import "sync"

// defaultSupporter is the support model over the built-in lexical table,
// built once: the table is immutable, so sharing it is safe.
var defaultSupporter = sync.OnceValue(func() *Supporter { return NewSupporter(nil) })

// Prewarm loads the lexical table the support model uses, so a caller can
// overlap its load with other start-up work. Safe to call more than once
// and from any goroutine.
func Prewarm() { defaultSupporter() }
