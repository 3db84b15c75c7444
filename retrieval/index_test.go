package retrieval

import (
	"strings"
	"testing"
)

// A reader keeps stored articles' text out of memory, yet Document returns
// it (what /source shows) and Sources counts its words, as for an article
// held in memory.
func TestStoredTextIsReadOnDemand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	storeSeeds(t, dir, nil)
	ix := openReader(t, dir, nil)
	mem := openSeeds(t, "", nil)
	for _, want := range seedDocs(t) {
		got, ok := ix.Document(want.ID)
		if !ok || got.Text != want.Text || got.Title != want.Title {
			t.Errorf("%s: Document from the store = %v %q…", want.ID, ok, got.Text[:min(40, len(got.Text))])
		}
	}
	stored, inMemory := ix.Sources(), mem.Sources()
	for i := range stored {
		if stored[i] != inMemory[i] {
			t.Errorf("source %d: stored %+v, in memory %+v", i, stored[i], inMemory[i])
		}
		if stored[i].Words != len(strings.Fields(seedDocs(t)[i].Text)) {
			t.Errorf("%s: %d words", stored[i].ID, stored[i].Words)
		}
	}
	if _, ok := ix.Document("no-such-article"); ok {
		t.Error("a missing article was found")
	}
}
