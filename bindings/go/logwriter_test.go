package lts

import (
	"errors"
	"log"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestTheLogWriterShipsLogPackageLinesWithTheirFields(t *testing.T) {
	url := server(t, "--project", "proj=app")
	p := startedProducer(t, url, &ProducerConfig{LingerMs: 100})
	w := NewLogWriter(p, "proj", "app", "billing")
	w.Flags = log.LstdFlags | log.Lmicroseconds | log.Lshortfile | log.Lmsgprefix
	w.Prefix = "[api] "
	w.Fields = map[string]interface{}{"service": "api", "pid": 42}
	w.Labels = map[string]interface{}{"env": "test"}
	var mu sync.Mutex
	var reported []error
	w.OnError = func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }
	info := log.New(w, w.Prefix, w.Flags)
	errs := log.New(w.WithLevel("error"), w.Prefix, w.Flags)
	before := NowNs()
	info.Printf("order %d placed", 17)
	_, _, line, _ := runtime.Caller(0)
	errs.Print("it broke: disk full")
	info.Print("")
	// A writer whose flags do not match its loggers keeps the whole line as the message.
	plain := NewLogWriter(p, "proj", "app", "other")
	plain.Flags = 0
	log.New(plain, "", log.LstdFlags).Print("stamped")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				info.Printf("goroutine %d line %d", g, i)
			}
		}(g)
	}
	wg.Wait()
	if err := p.SafeClose(); err != nil {
		t.Fatal(err)
	}
	after := NowNs()
	byMsg := storedByMessage(t, url, "app", 4+200)
	placed := byMsg["order 17 placed"]
	if placed == nil {
		t.Fatalf("no 'order 17 placed' among %v", byMsg)
	}
	c := placed["contents"].(map[string]interface{})
	want := map[string]interface{}{"level": "info", "logger": "billing", "source": "logwriter_test.go:" + strconv.Itoa(line-1), "service": "api", "pid": float64(42)}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("contents[%q] = %v, want %v (all: %v)", k, c[k], v, c)
		}
	}
	if len(c) != len(want) {
		t.Errorf("contents %v, want %v", c, want)
	}
	if l := placed["labels"].(map[string]interface{}); l["env"] != "test" {
		t.Errorf("labels %v", l)
	}
	ts := int64(placed["time_unix_nano"].(float64))
	if ts < before-1e6 || ts > after+1e6 { // float64 rounds ns to ~256 ns
		t.Errorf("time %d not within [%d, %d]", ts, before, after)
	}
	if c := byMsg["it broke: disk full"]["contents"].(map[string]interface{}); c["level"] != "error" {
		t.Errorf("error line's contents %v", c)
	}
	if byMsg["(empty message)"] == nil {
		t.Error("an empty line is sent as (empty message)")
	}
	var stamped string
	for m := range byMsg {
		if strings.HasSuffix(m, " stamped") {
			stamped = m
		}
	}
	if len(stamped) != len("2006/01/02 15:04:05 stamped") {
		t.Errorf("a line of other flags is kept whole: %q", stamped)
	}
	// After close: dropped and counted, never an error to the log package.
	if n, err := w.Write([]byte("late\n")); n != 5 || err != nil {
		t.Errorf("Write after close = %d, %v", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	var e *Error
	if w.Dropped() != 1 || len(reported) != 1 || !errors.As(reported[0], &e) || e.Code != ErrClosed {
		t.Errorf("dropped %d, reported %v", w.Dropped(), reported)
	}
	if w.Failed() != 0 {
		t.Errorf("failed %d", w.Failed())
	}
	checkBalanced(t, p, 204)
}

// storedByMessage is the logs lts-local stored in proj/unit by their message, which must be n.
func storedByMessage(t *testing.T, url, unit string, n int) map[string]map[string]interface{} {
	t.Helper()
	logs := storedLogs(t, url, "proj", unit)
	if len(logs) != n {
		t.Fatalf("%d logs stored, want %d", len(logs), n)
	}
	byMsg := map[string]map[string]interface{}{}
	for _, l := range logs {
		byMsg[l["origin_msg"].(string)] = l
	}
	return byMsg
}

// After close: accepted == sent + failed, nothing buffered, and sent as stored.
func checkBalanced(t *testing.T, p *Producer, sent int) {
	t.Helper()
	st, err := p.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st["logs_accepted"] != st["logs_sent"].(float64)+st["logs_failed"].(float64) || st["buffered_bytes"] != float64(0) || st["logs_sent"] != float64(sent) {
		t.Errorf("stats after close: %v", st)
	}
}

func setFault(t *testing.T, url, body string) {
	t.Helper()
	resp, err := http.Post(url+"/_lts/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestTheLogWriterDropsAtOnceWhenTheBufferIsFull(t *testing.T) {
	url := server(t, "--project", "proj=app")
	setFault(t, url, `{"stall": true}`)
	p := startedProducer(t, url, &ProducerConfig{LingerMs: 100, BatchSizeBytes: 2048, BufferBytes: 2048})
	w := NewLogWriter(p, "proj", "app", "full")
	var full int
	w.OnError = func(err error) {
		var e *Error
		if errors.As(err, &e) && e.Code == ErrBufferFull {
			full++
		}
	}
	l := log.New(w, "", 0)
	for i := 0; i < 200; i++ {
		l.Print(strings.Repeat("x", 100))
	}
	if w.Dropped() == 0 || full == 0 {
		t.Fatalf("dropped %d, buffer-full reports %d", w.Dropped(), full)
	}
	setFault(t, url, `{"stall": false}`)
	if err := p.SafeClose(); err != nil {
		t.Fatal(err)
	}
	got := int64(len(storedLogs(t, url, "proj", "app")))
	if got+w.Dropped() != 200 || w.Failed() != 0 {
		t.Errorf("stored %d + dropped %d != 200 (failed %d)", got, w.Dropped(), w.Failed())
	}
	checkBalanced(t, p, int(got))
}

func TestTheLogWriterCountsAndReportsAFailedDelivery(t *testing.T) {
	url := server(t, "--project", "proj=app")
	p := startedProducer(t, url, &ProducerConfig{LingerMs: 100})
	// A unit the project does not have: accepted, then refused by the service (LTS_8011).
	w := NewLogWriter(p, "proj", "missing", "billing")
	var mu sync.Mutex
	var reported []error
	w.OnError = func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }
	other := w.WithLevel("error")
	log.New(w, "", log.LstdFlags).Print("to nowhere")
	log.New(other, "", log.LstdFlags).Print("to nowhere either")
	if err := p.SafeClose(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var e *Error
	if w.Failed() != 2 || w.Dropped() != 0 || len(reported) != 2 || !errors.As(reported[0], &e) || e.Code != ErrServer {
		t.Errorf("failed %d, dropped %d, reported %v", w.Failed(), w.Dropped(), reported)
	}
	checkBalanced(t, p, 0)
}
