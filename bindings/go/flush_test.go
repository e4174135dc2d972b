package lts

import (
	"errors"
	"log"
	"testing"
	"time"
)

// A linger far longer than the test: what reaches the server got there because a flush
// handed its batch over.
const longLinger = 600000

// waitStored waits until the server holds n logs of project/unit and returns how long that
// took; it fails the test after within.
func waitStored(t *testing.T, url, project, unit string, n int, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := len(storedLogs(t, url, project, unit))
		if got >= n {
			if got != n {
				t.Errorf("%d logs stored in %s, want %d", got, unit, n)
			}
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("%d of %d logs stored in %s after %v", got, n, unit, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func checkHeld(t *testing.T, p *Producer, sent float64) {
	t.Helper()
	st, err := p.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st["logs_sent"] != sent || st["buffered_bytes"].(float64) == 0 {
		t.Fatalf("before the flush the producer should hold the logs: %v", st)
	}
}

func TestFlushHandsTheOpenBatchOverBeforeLinger(t *testing.T) {
	url := server(t, "--project", "proj=app,logw")
	p := startedProducer(t, url, &ProducerConfig{LingerMs: longLinger})
	defer p.Close(0)
	for i := 0; i < 5; i++ {
		if err := p.Send("proj", "app", []*LogItem{item(t, "held")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	checkHeld(t, p, 0)
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	took := waitStored(t, url, "proj", "app", 5, time.Minute)
	t.Logf("Producer.Flush: stored after %v (linger %d ms)", took, longLinger)

	// The log writer's flush path: the same, through LogWriter.Flush.
	w := NewLogWriter(p, "proj", "logw", "flush")
	log.New(w, "", 0).Print("a line")
	checkHeld(t, p, 5)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	waitStored(t, url, "proj", "logw", 1, time.Minute)
	if w.Dropped() != 0 || w.Failed() != 0 {
		t.Errorf("dropped %d, failed %d", w.Dropped(), w.Failed())
	}
	if err := p.SafeClose(); err != nil {
		t.Fatal(err)
	}
	checkBalanced(t, p, 6)
	var e *Error
	if err := p.Flush(); !errors.As(err, &e) || e.Code != ErrClosed {
		t.Errorf("Flush after close: %v, want ErrClosed", err)
	}
}

func TestFlushBeforeStartIsAnError(t *testing.T) {
	p, err := NewProducer(&ProducerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(0)
	var e *Error
	if err := p.Flush(); !errors.As(err, &e) || e.Code != ErrInvalidState {
		t.Errorf("Flush before Start: %v, want ErrInvalidState", err)
	}
}
