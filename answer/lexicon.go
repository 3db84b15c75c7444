package answer

import "sync"

// defaultSupporter is the support model over the built-in lexical table,
// built once: the table is immutable, so sharing it is safe.
var defaultSupporter = sync.OnceValue(func() *Supporter { return NewSupporter(nil) })
