package retrieval

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A serving index picks up what another process ingested into the same
// directory, and searches running meanwhile never fail or come back empty.
func TestReloadPicksUpIngestWithoutFailedSearches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	storeSeeds(t, dir, nil)
	serving := openReader(t, dir, newTally())
	const geneva = "How many working groups did the negotiators agree in Geneva?"
	if _, doc := topDoc(t, serving, geneva); doc == "geneva-working-groups" {
		t.Fatal("precondition: not ingested yet")
	}

	// Searches run throughout the ingest and reloads.
	stop := make(chan struct{})
	var failures, searches atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r, err := serving.Search(ctx, "How long did Witkoff meet Putin?", SearchOptions{})
				searches.Add(1)
				if err != nil || len(r.Hits) == 0 || r.Weak {
					failures.Add(1)
				}
			}
		}()
	}

	// "talkbot ingest" in another process: its own Index on the same dir.
	writer, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if _, err := writer.Ingest(ctx, []string{copyFixtures(t)}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	embedded := serving.emb.(tallyEmbedder).n.Load()
	for range 3 {
		if err := serving.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if failures.Load() > 0 {
		t.Errorf("%d of %d searches failed during reloads", failures.Load(), searches.Load())
	}
	if _, doc := topDoc(t, serving, geneva); doc != "geneva-working-groups" {
		t.Errorf("after reload the Geneva question went to %q", doc)
	}
	// Reloading reads the writer's vectors; it embeds only the queries.
	if n := serving.emb.(tallyEmbedder).n.Load() - embedded; n > searches.Load()+2 {
		t.Errorf("reload embedded %d texts for %d searches: passages were re-embedded", n, searches.Load())
	}
	if len(serving.Sources()) != 7 {
		t.Errorf("%d sources after reload, want 5 seeds + 2 ingested", len(serving.Sources()))
	}
}

func TestWatchReloadsOnManifestChange(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir := t.TempDir()
	storeSeeds(t, dir, nil)
	serving := openReader(t, dir, nil)
	done := make(chan error, 1)
	go func() { done <- serving.Watch(ctx, 20*time.Millisecond) }()

	writer, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	if _, err := writer.Ingest(ctx, []string{copyFixtures(t)}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	for {
		if _, ok := serving.Document("istanbul-prisoner-exchange"); ok {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("Watch did not pick up the ingested article")
		case <-time.After(10 * time.Millisecond):
		}
	}
	// A prune in the other process is seen too.
	if err := writer.Remove(ctx, "istanbul-prisoner-exchange"); err != nil {
		t.Fatal(err)
	}
	for {
		if _, ok := serving.Document("istanbul-prisoner-exchange"); !ok {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("Watch did not pick up the removal")
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch returned %v", err)
	}
}

// An ingest by a process with another embedder is picked up, answered by
// keywords (its vectors are not comparable), and destroys no stored vector.
func TestReloadOfAnotherEmbeddersIngest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	storeSeeds(t, dir, nil)
	serving := openReader(t, dir, nil)
	vectors := serving.vecs.len()
	other, err := Open(ctx, Options{Dir: dir, Embedder: NewHashEmbedder(64)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Ingest(ctx, []string{copyFixtures(t)}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if err := serving.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if _, doc := topDoc(t, serving, "How many working groups did the negotiators agree in Geneva?"); doc != "geneva-working-groups" {
		t.Errorf("article ingested with another embedder not answered by keywords: top %q", doc)
	}
	if r, err := serving.Search(ctx, "How long did Witkoff meet Putin?", SearchOptions{}); err != nil || r.Weak || len(r.Hits) == 0 {
		t.Errorf("index stopped answering: %v", err)
	}
	if got := openReader(t, dir, nil).vecs.len(); got != vectors || serving.vecs.len() != vectors {
		t.Errorf("stored vectors of the first embedder: %d (serving %d), want %d", got, serving.vecs.len(), vectors)
	}
	inMemory := openSeeds(t, "", nil)
	if err := inMemory.Reload(ctx); err != nil {
		t.Errorf("in-memory reload: %v", err)
	}
}
