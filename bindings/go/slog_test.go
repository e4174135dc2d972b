//go:build go1.21

package lts

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/slogtest"
	"time"
)

type stringer struct{}

func (stringer) String() string { return "as String" }

type panicky struct{}

func (panicky) String() string { panic("no") }

type lazy struct{}

func (lazy) LogValue() slog.Value { return slog.GroupValue(slog.String("resolved", "yes")) }

func newSlogHandler(t *testing.T, p *Producer, unit string, opts *SlogOptions) *SlogHandler {
	t.Helper()
	h, err := NewSlogHandler(p, "proj", unit, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestTheSlogHandlerShipsRecordsFieldByField(t *testing.T) {
	url := server(t, "--project", "proj=app")
	p := startedProducer(t, url, &ProducerConfig{LingerMs: 100})
	var mu sync.Mutex
	var reported []error
	h := newSlogHandler(t, p, "app", &SlogOptions{
		Level: slog.LevelDebug, AddSource: true, Logger: "orders",
		Labels:  map[string]interface{}{"env": "test"},
		OnError: func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() },
	})
	l := slog.New(h).With("service", "api").WithGroup("req").With("id", 17)
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	before := NowNs()
	l.Info("order placed", "amount", 2.5, slog.Group("user", "name", "ann", "vip", true),
		"bad key", 1, "tags", []string{"a", "b"}, "took", 1500*time.Millisecond, "err", errors.New("boom"),
		"empty", "", "none", nil, "big", uint64(math.MaxUint64), "small", uint64(3), "nan", math.NaN(),
		"at", at, slog.Group("", "inlined", "x"), slog.Group("nothing"), "str", stringer{}, "bad", panicky{},
		"lazy", lazy{}, "bytes", []byte("raw"), "utf8", "a\xffb")
	_, _, line, _ := runtime.Caller(0)
	after := NowNs()
	slog.New(h).Debug("")
	slog.New(h).Log(context.Background(), slog.LevelInfo+2, "custom level")
	fixed := slog.NewRecord(time.Unix(1700000000, 0), slog.LevelWarn, "fixed time", 0)
	if err := h.WithGroup("g").Handle(context.Background(), fixed); err != nil {
		t.Fatal(err)
	}
	// Below the default level (Info), nothing is sent.
	quiet := newSlogHandler(t, p, "app", nil)
	if quiet.Enabled(context.Background(), slog.LevelDebug) || !quiet.Enabled(context.Background(), slog.LevelInfo) {
		t.Error("the default level is Info")
	}
	slog.New(quiet).Debug("not sent")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			lg := slog.New(h).With("g", g)
			for i := 0; i < 50; i++ {
				lg.Info("concurrent", "i", i)
			}
		}(g)
	}
	wg.Wait()
	if err := p.SafeClose(); err != nil {
		t.Fatal(err)
	}
	byMsg := storedByMessage(t, url, "app", 4+200)
	placed := byMsg["order placed"]
	if placed == nil {
		t.Fatalf("no 'order placed' among %v", byMsg)
	}
	_, file, _, _ := runtime.Caller(0)
	want := map[string]interface{}{
		"level": "INFO", "logger": "orders", "source": file + ":" + strconv.Itoa(line-5),
		"service": "api", "req.id": float64(17), "req.amount": 2.5,
		"req.user.name": "ann", "req.user.vip": "true", "req.tags": `["a","b"]`, "req.took": "1.5s",
		"req.err": "boom", "req.big": "18446744073709551615", "req.small": float64(3), "req.nan": "NaN",
		"req.at": "2026-01-02T03:04:05.000000006Z", "req.inlined": "x", "req.str": "as String",
		"req.bad": "!PANIC: no", "req.lazy.resolved": "yes", "req.bytes": "raw", "req.utf8": "a\uFFFDb",
	}
	c := placed["contents"].(map[string]interface{})
	for k, v := range want {
		if c[k] != v {
			t.Errorf("contents[%q] = %#v, want %#v", k, c[k], v)
		}
	}
	if len(c) != len(want) {
		t.Errorf("contents %v, want only %v", c, want)
	}
	if l := placed["labels"].(map[string]interface{}); len(l) != 1 || l["env"] != "test" {
		t.Errorf("labels %v", l)
	}
	if ts := int64(placed["time_unix_nano"].(float64)); ts < before-1e6 || ts > after+1e6 {
		t.Errorf("time %d not within [%d, %d]", ts, before, after)
	}
	if c := byMsg["(empty message)"]; c == nil || c["contents"].(map[string]interface{})["level"] != "DEBUG" {
		t.Errorf("an empty Debug message: %v", c)
	}
	if c := byMsg["custom level"]; c == nil || c["contents"].(map[string]interface{})["level"] != "INFO+2" {
		t.Errorf("level Info+2: %v", c)
	}
	fixedLog := byMsg["fixed time"]
	if fixedLog == nil || fixedLog["time_unix_nano"] != float64(1700000000e9) {
		t.Errorf("a record's own time: %v", fixedLog)
	} else if c := fixedLog["contents"].(map[string]interface{}); len(c) != 2 || c["level"] != "WARN" || c["logger"] != "orders" {
		t.Errorf("a record without PC has no source, and an empty group no field: %v", c)
	}
	if byMsg["not sent"] != nil {
		t.Error("a Debug record below the handler's level was sent")
	}
	mu.Lock()
	defer mu.Unlock()
	var e *Error
	if h.RefusedFields() != 1 || len(reported) != 1 || !errors.As(reported[0], &e) || e.Code != ErrInvalidKey ||
		!strings.Contains(e.Message, "req.bad key") {
		t.Errorf("refused fields %d, reported %v", h.RefusedFields(), reported)
	}
	if h.Dropped() != 0 || h.Failed() != 0 {
		t.Errorf("dropped %d, failed %d", h.Dropped(), h.Failed())
	}
	checkBalanced(t, p, 204)
}

func TestTheSlogHandlerCountsRefusalsAndFailuresAndNeverErrs(t *testing.T) {
	url := server(t, "--project", "proj=app")
	setFault(t, url, `{"stall": true}`)
	p := startedProducer(t, url, &ProducerConfig{LingerMs: 100, BatchSizeBytes: 2048, BufferBytes: 2048})
	var full, refusedByService atomic.Int64
	onError := func(err error) {
		var e *Error
		if errors.As(err, &e) && e.Code == ErrBufferFull {
			full.Add(1)
		}
		if errors.As(err, &e) && e.Code == ErrServer {
			refusedByService.Add(1)
		}
	}
	h := newSlogHandler(t, p, "app", &SlogOptions{OnError: onError})
	derived := h.WithGroup("g").WithAttrs([]slog.Attr{slog.Int("n", 1)}).(*SlogHandler)
	for i := 0; i < 200; i++ {
		hh := h
		if i%2 == 1 {
			hh = derived
		}
		if err := hh.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, strings.Repeat("x", 100), 0)); err != nil {
			t.Fatalf("Handle returned %v", err)
		}
	}
	if h.Dropped() == 0 || full.Load() != h.Dropped() || derived.Dropped() != h.Dropped() {
		t.Fatalf("dropped %d (derived handler: %d), buffer-full reports %d", h.Dropped(), derived.Dropped(), full.Load())
	}
	setFault(t, url, `{"stall": false}`)
	if err := p.SafeClose(); err != nil {
		t.Fatal(err)
	}
	got := int64(len(storedLogs(t, url, "proj", "app")))
	if got+h.Dropped() != 200 || h.Failed() != 0 {
		t.Errorf("stored %d + dropped %d != 200 (failed %d)", got, h.Dropped(), h.Failed())
	}
	checkBalanced(t, p, int(got))

	// A unit the project does not have: accepted, then refused by the service (LTS_8011).
	p = startedProducer(t, url, &ProducerConfig{LingerMs: 100})
	missing := newSlogHandler(t, p, "missing", &SlogOptions{OnError: onError})
	slog.New(missing).Info("to nowhere")
	if err := p.SafeClose(); err != nil {
		t.Fatal(err)
	}
	if missing.Failed() != 1 || refusedByService.Load() != 1 {
		t.Errorf("failed %d, service refusals reported %d", missing.Failed(), refusedByService.Load())
	}
	if err := missing.Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "closed", 0)); err != nil {
		t.Errorf("Handle after close returned %v", err)
	}
	if missing.Dropped() != 1 {
		t.Errorf("a record after close: dropped %d, want 1", missing.Dropped())
	}
}

func TestABadLabelIsRefusedAtConstruction(t *testing.T) {
	var e *Error
	if _, err := NewSlogHandler(nil, "proj", "app", &SlogOptions{Labels: map[string]interface{}{"bad key": 1}}); !errors.As(err, &e) || e.Code != ErrInvalidKey {
		t.Errorf("a bad label key: %v", err)
	}
}

func TestTheSlogHandlerFlushHandsTheOpenBatchOver(t *testing.T) {
	url := server(t, "--project", "proj=app")
	p := startedProducer(t, url, &ProducerConfig{LingerMs: longLinger})
	defer p.Close(0)
	h := newSlogHandler(t, p, "app", nil)
	slog.New(h).Info("held")
	checkHeld(t, p, 0)
	if err := h.Flush(); err != nil {
		t.Fatal(err)
	}
	waitStored(t, url, "proj", "app", 1, time.Minute)
}

// The standard library's conformance test for handlers, on what lts-local stored: each log
// read back as slogtest expects a record (msg, level, time, and the contents nested by their
// '.'-joined group names).
func TestTheSlogHandlerPassesSlogtest(t *testing.T) {
	url := server(t, "--project", "proj=app")
	// One batch, sent at close, in the order of the records.
	p := startedProducer(t, url, &ProducerConfig{LingerMs: longLinger})
	h := newSlogHandler(t, p, "app", &SlogOptions{OnError: func(err error) { t.Errorf("reported: %v", err) }})
	results := func() []map[string]any {
		if err := p.SafeClose(); err != nil {
			t.Fatal(err)
		}
		var out []map[string]any
		for _, l := range storedLogs(t, url, "proj", "app") {
			m := map[string]any{slog.MessageKey: l["origin_msg"], slog.TimeKey: l["time_unix_nano"]}
			for k, v := range l["contents"].(map[string]interface{}) {
				parts := strings.Split(k, ".")
				at := m
				for _, g := range parts[:len(parts)-1] {
					if _, ok := at[g].(map[string]any); !ok {
						at[g] = map[string]any{}
					}
					at = at[g].(map[string]any)
				}
				at[parts[len(parts)-1]] = v
			}
			out = append(out, m)
		}
		return out
	}
	err := slogtest.TestHandler(h, results)
	// The one case that does not apply: a log must have a time, so a record without one
	// gets the time it is handled (slogtest wants no time at all).
	var rest []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !strings.Contains(e.Error(), "zero Record.Time") {
				rest = append(rest, e)
			}
		}
	} else if err != nil {
		rest = append(rest, err)
	}
	if len(rest) > 0 {
		t.Error(errors.Join(rest...))
	}
}
