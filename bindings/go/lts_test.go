package lts

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const ak, sk = "lts-local-ak", "lts-local-sk"

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// server starts an lts-local process for t (StartLtsLocal), stopped when t ends.
func server(t *testing.T, args ...string) string {
	url, stop, err := StartLtsLocal(t.TempDir(), args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url
}

// StartLtsLocal starts lts-local (LTS_LOCAL_BIN, or the repository's release build, or its
// debug build) on a free loopback port, its port file in dir, and returns its URL and the
// function that stops it. Exported for the examples' TestMain (package lts_test): like every
// name of a _test.go file, it exists only in the package's tests.
func StartLtsLocal(dir string, args ...string) (string, func(), error) {
	bin := os.Getenv("LTS_LOCAL_BIN")
	for _, p := range []string{"release", "debug"} {
		if bin == "" {
			if b, _ := filepath.Abs("../../target/" + p + "/lts-local"); fileExists(b) {
				bin = b
			}
		}
	}
	if bin == "" {
		return "", nil, fmt.Errorf("no lts-local: set LTS_LOCAL_BIN or run cargo build --release")
	}
	portFile := filepath.Join(dir, "port")
	cmd := exec.Command(bin, append([]string{"--listen", "127.0.0.1:0", "--port-file", portFile, "--memory"}, args...)...)
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(portFile); err == nil && len(b) > 0 {
			return "http://127.0.0.1:" + strings.TrimSpace(string(b)), stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("lts-local did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func storedLogs(t *testing.T, url, project, unit string) []map[string]interface{} {
	resp, err := http.Get(fmt.Sprintf("%s/_lts/logs?project=%s&unit=%s", url, project, unit))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Logs []map[string]interface{} }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Logs
}

// startedProducer is a producer with one client for project proj at url, started.
func startedProducer(t *testing.T, url string, cfg *ProducerConfig) *Producer {
	t.Helper()
	p, err := NewProducer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AddClient(NewClientConfig(url, ak, sk, "proj")); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

func item(t *testing.T, msg string) *LogItem {
	it := NewLogItem(NowNs(), msg)
	for _, kv := range []struct {
		k string
		v interface{}
	}{{"level", "info"}, {"seq", 7}, {"ratio", 0.5}} {
		if err := it.PushContent(kv.k, kv.v); err != nil {
			t.Fatal(err)
		}
	}
	if err := it.PushLabel("user_tag", "string"); err != nil {
		t.Fatal(err)
	}
	return it
}

func TestSyncPutReadsBackContentsAndLabels(t *testing.T) {
	url := server(t, "--project", "proj=unit-a")
	c, err := NewClient(NewClientConfig(url, ak, sk, "proj"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.PutLogs("proj", "unit-a", []*LogItem{item(t, "go 1"), item(t, "go 2")})
	if err != nil || resp.StatusCode != 0 || resp.Message != "SUCCESS" {
		t.Fatalf("%v %+v", err, resp)
	}
	logs := storedLogs(t, url, "proj", "unit-a")
	if len(logs) != 2 {
		t.Fatalf("stored %d logs", len(logs))
	}
	got, _ := json.Marshal([]interface{}{logs[0]["origin_msg"], logs[0]["contents"], logs[0]["labels"]})
	want := `["go 1",{"level":"info","ratio":0.5,"seq":7},{"user_tag":"string"}]`
	if string(got) != want {
		t.Fatalf("got %s want %s", got, want)
	}
	_, err = c.PutLogs("proj", "missing", []*LogItem{item(t, "x")})
	e, ok := err.(*Error)
	if !ok || e.Code != ErrServer || e.Response == nil || e.Response.Error != "LTS_8011" {
		t.Fatalf("want LTS_8011 as an *Error, got %v", err)
	}
}

func TestABadKeyIsAnErrorNamingIt(t *testing.T) {
	it := NewLogItem(NowNs(), "m")
	err := it.PushContent("area:", 3.1415926)
	e, ok := err.(*Error)
	if !ok || e.Code != ErrInvalidKey || !strings.Contains(e.Message, `"area:"`) {
		t.Fatalf("got %v", err)
	}
	url := server(t)
	if _, err := NewClient(NewClientConfig(url, ak, "wrong", "proj")); err == nil || err.(*Error).Code != ErrAuth {
		t.Fatalf("want an auth error, got %v", err)
	}
}

func TestProducerRunsEveryCallbackOnce(t *testing.T) {
	url := server(t)
	p := startedProducer(t, url, &ProducerConfig{LingerMs: 100, WorkerCount: 2})
	const goroutines, sends = 4, 500
	var calls [goroutines * sends]int32
	var logsOK int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for s := 0; s < sends; s++ {
				id := g*sends + s
				err := p.Send("proj", "unit-p", []*LogItem{item(t, fmt.Sprint(id)), item(t, fmt.Sprint(id))}, func(r SendResult) {
					atomic.AddInt32(&calls[id], 1)
					if r.OK() {
						atomic.AddInt64(&logsOK, int64(r.LogCount))
					}
				})
				if err != nil {
					t.Error(err)
				}
			}
		}(g)
	}
	wg.Wait()
	if err := p.Send("nope", "u", []*LogItem{item(t, "x")}, func(SendResult) { t.Error("refused send called back") }); err == nil {
		t.Fatal("a project without a client was accepted")
	}
	if err := p.SafeClose(); err != nil {
		t.Fatal(err)
	}
	for id, n := range calls {
		if n != 1 {
			t.Fatalf("send %d: %d callbacks", id, n)
		}
	}
	if logsOK != goroutines*sends*2 {
		t.Fatalf("%d logs ok", logsOK)
	}
	if n := len(storedLogs(t, url, "proj", "unit-p")); n != goroutines*sends*2 {
		t.Fatalf("server stored %d", n)
	}
	// A closed producer: an error, not a crash; closing again is fine.
	if err := p.Send("proj", "unit-p", []*LogItem{item(t, "late")}, nil); err == nil || err.(*Error).Code != ErrClosed {
		t.Fatalf("want ErrClosed, got %v", err)
	}
	if err := p.Close(0); err != nil {
		t.Fatal(err)
	}
}

func TestCloseWithTimeoutReportsUnsent(t *testing.T) {
	url := server(t)
	http.Post(url+"/_lts/faults", "application/json", strings.NewReader(`{"stall": true}`))
	p, _ := NewProducer(&ProducerConfig{})
	p.AddClient(NewClientConfig(url, ak, sk, "proj"))
	p.Start()
	var got []SendResult
	var mu sync.Mutex
	p.Send("proj", "u", []*LogItem{item(t, "stalled")}, func(r SendResult) { mu.Lock(); got = append(got, r); mu.Unlock() })
	err := p.Close(300 * time.Millisecond)
	if e, ok := err.(*Error); !ok || e.Code != ErrTimeout {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
	if len(got) != 1 || got[0].Code != ErrClosed || got[0].LogCount != 1 {
		t.Fatalf("%+v", got)
	}
	http.Post(url+"/_lts/faults", "application/json", strings.NewReader(`{"stall": false}`))
}

func TestAClosedClientIsAnError(t *testing.T) {
	url := server(t)
	c, err := NewClient(NewClientConfig(url, ak, sk, "proj"))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	c.Close()
	if _, err := c.PutLogs("proj", "u", []*LogItem{item(t, "x")}); err == nil || err.(*Error).Code != ErrInvalidState {
		t.Fatalf("got %v", err)
	}
}
