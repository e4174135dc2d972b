package lts

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

const secretMarker = "SECRET-MARKER-go-41d2"

func closedPortURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// lines collects liblts's lines for one test, and restores the default logger after it.
type lines struct {
	mu   sync.Mutex
	cond *sync.Cond
	got  []string
}

func collectLines(t *testing.T) *lines {
	l := &lines{}
	l.cond = sync.NewCond(&l.mu)
	SetLogger(func(level int, message string) {
		l.mu.Lock()
		l.got = append(l.got, levelName(level)+": "+message)
		l.cond.Broadcast()
		l.mu.Unlock()
	})
	t.Cleanup(func() {
		SetLogger(func(level int, message string) { t.Logf("liblts %s: %s", levelName(level), message) })
		SetLogLevel(LogWarn)
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, s := range l.got {
			if strings.Contains(s, secretMarker) {
				t.Errorf("a line carried the secret: %s", s)
			}
		}
	})
	return l
}

// wait returns the first line containing needle within d.
func (l *lines) wait(needle string, d time.Duration) (string, bool) {
	end := time.Now().Add(d)
	timer := time.AfterFunc(d, func() { l.mu.Lock(); l.cond.Broadcast(); l.mu.Unlock() })
	defer timer.Stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		for _, s := range l.got {
			if strings.Contains(s, needle) {
				return s, true
			}
		}
		if time.Now().After(end) {
			return "", false
		}
		l.cond.Wait()
	}
}

func failingProducer(t *testing.T, url, secret string, cfg *ProducerConfig) *Producer {
	cfg.LingerMs, cfg.WorkerCount = 100, 1
	p, err := NewProducer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := NewClientConfig(url, ak, secret, "proj")
	c.Profile = map[string]string{"backoff_base_ms": "20", "backoff_cap_ms": "50"}
	if err := p.AddClient(c); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

func waitStats(t *testing.T, p *Producer, cond func(map[string]interface{}) bool) {
	end := time.Now().Add(5 * time.Second)
	for {
		s, err := p.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if cond(s) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("stats never got there: %v", s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The drift test: every key of liblts's table is settable here, by name and typed, and
// reaches the core.
func TestEveryCoreOptionReachesTheCore(t *testing.T) {
	schema := ConfigSchema()
	for _, o := range schema.Client {
		c := NewClientConfig("http://127.0.0.1:1", ak, sk, "proj")
		if err := c.Set(o.Name, o.Default); err != nil {
			if !strings.Contains(err.Error(), o.Name) || strings.Contains(err.Error(), "unknown") {
				t.Errorf("%s: %v", o.Name, err)
			}
			continue
		}
		if !o.WriteOnly && o.Name != "user_agent" {
			got, err := c.readBack(o.Name)
			if err != nil || (got != o.Default && o.Default != "") {
				t.Errorf("%s: read back %q (%v), want %q", o.Name, got, err, o.Default)
			}
		}
	}
	retries := uint32(1)
	full := &ClientConfig{RequestTimeoutMs: 1, CompressType: "none", UserAgent: "x", Retries: &retries,
		NoRetryStatusCodes: []int32{500}, EOPAuth: true, AllowPlainHTTP: true, CAFile: "f", CAPEM: "p"}
	typed := map[string]bool{"endpoint": true, "access_key": true, "secret_key": true, "log_project": true}
	for _, kv := range full.typedOptions() {
		typed[kv[0]] = true
	}
	for _, o := range schema.Client {
		if !typed[o.Name] && !o.Profile {
			t.Errorf("client option %s has no typed field in ClientConfig", o.Name)
		}
	}
	for _, o := range schema.Producer {
		c := &ProducerConfig{}
		if err := c.Set(o.Name, o.Default); err != nil {
			t.Errorf("%s: %v", o.Name, err)
			continue
		}
		got, err := c.readBack(o.Name)
		if err != nil || got != o.Default {
			t.Errorf("%s: read back %q (%v), want %q", o.Name, got, err, o.Default)
		}
	}
	pfull := &ProducerConfig{1, 1, 1, 1, 1, 1, "poll", 1, "d", "d", 4 << 20, 2 << 20, 1, 1, 1, 1, nil, nil}
	ptyped := map[string]bool{}
	for _, kv := range pfull.typedOptions() {
		ptyped[kv[0]] = true
	}
	for _, o := range schema.Producer {
		if !ptyped[o.Name] {
			t.Errorf("producer option %s has no typed field in ProducerConfig", o.Name)
		}
	}
}

func TestBadOptionsAreErrorsNamingThem(t *testing.T) {
	c := NewClientConfig("http://127.0.0.1:1", ak, sk, "proj")
	for _, bad := range [][3]string{
		{"no_such_key", "1", "no_such_key"},
		{"retries", "1000", "0..=100"},
		{"allow_plain_http", "maybe", "true or false"},
	} {
		err := c.Set(bad[0], bad[1])
		if e, ok := err.(*Error); !ok || e.Code != ErrInvalidArg || !strings.Contains(e.Message, bad[2]) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	p := &ProducerConfig{}
	if err := p.Set("linger_ms", "soon"); err == nil || !strings.Contains(err.Error(), `"soon"`) {
		t.Errorf("linger_ms soon: %v", err)
	}
	bad := &ProducerConfig{LingerMs: 5}
	if _, err := NewProducer(bad); err == nil || !strings.Contains(err.Error(), "linger_ms") {
		t.Errorf("typed linger 5: %v", err)
	}
}

func TestFailuresReachTheLoggerWithinASecond(t *testing.T) {
	l := collectLines(t)
	p := failingProducer(t, closedPortURL(t), secretMarker, &ProducerConfig{})
	if err := p.Send("proj", "unit-a", []*LogItem{NewLogItem(NowNs(), "m")}, nil); err != nil {
		t.Fatal(err)
	}
	line, ok := l.wait("attempt 1 failed", time.Second)
	if !ok || !strings.HasPrefix(line, "warn: ") || !strings.Contains(line, "next attempt in") {
		t.Fatalf("no failure line within a second: %q %v", line, l.got)
	}
	if err := p.Close(0); err == nil || err.(*Error).Code != ErrTimeout {
		t.Fatalf("close: %v", err)
	}
	if _, ok := l.wait("error: close ran out of time", time.Second); !ok {
		t.Fatal(l.got)
	}
}

func TestSilenceWritesNothing(t *testing.T) {
	l := collectLines(t)
	SetLogLevel(LogOff)
	p := failingProducer(t, closedPortURL(t), secretMarker, &ProducerConfig{})
	p.Send("proj", "unit-a", []*LogItem{NewLogItem(NowNs(), "m")}, nil)
	waitStats(t, p, func(s map[string]interface{}) bool { return s["token_failures"].(float64) >= 2 })
	p.Close(0)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.got) != 0 {
		t.Fatalf("lines at LogOff: %v", l.got)
	}
}

func TestARefusedTokenCallGivesItsCode(t *testing.T) {
	l := collectLines(t)
	url := server(t)
	p := failingProducer(t, url, secretMarker, &ProducerConfig{})
	done := make(chan SendResult, 1)
	p.Send("proj", "unit-a", []*LogItem{NewLogItem(NowNs(), "m")}, func(r SendResult) { done <- r })
	r := <-done
	if r.Code != ErrAuth || r.ErrorCode != "LTS_8007" {
		t.Fatalf("%+v", r)
	}
	if _, ok := l.wait("LTS_8007", time.Second); !ok {
		t.Fatal(l.got)
	}
	s, _ := p.Stats()
	if last := s["last_error"].(map[string]interface{}); last["error"] != "LTS_8007" {
		t.Fatalf("%v", last)
	}
	if err := p.SafeClose(); err != nil {
		t.Fatal(err)
	}
}

func TestPollModeRunsCallbacksAndStatsInPoll(t *testing.T) {
	url := server(t)
	var mu sync.Mutex
	var reports []map[string]interface{}
	cfg := &ProducerConfig{LingerMs: 100, CallbackMode: CallbackPoll, StatsIntervalMs: 100,
		StatsCallback: func(s map[string]interface{}) { mu.Lock(); reports = append(reports, s); mu.Unlock() }}
	p, err := NewProducer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AddClient(NewClientConfig(url, ak, sk, "proj")); err != nil {
		t.Fatal(err)
	}
	p.Start()
	results := 0
	for i := 0; i < 3; i++ {
		p.Send("proj", "unit-s", []*LogItem{NewLogItem(NowNs(), "m")}, func(r SendResult) {
			if r.OK() {
				results++ // callbacks run in this goroutine's Poll
			}
		})
	}
	end := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(reports)
		mu.Unlock()
		if (results == 3 && n >= 2) || time.Now().After(end) {
			break
		}
		p.Poll(100, 100*time.Millisecond)
	}
	if results != 3 || len(reports) < 2 {
		t.Fatalf("results %d, reports %d", results, len(reports))
	}
	s, _ := p.Stats()
	units := s["units"].([]interface{})
	u := units[0].(map[string]interface{})
	if u["unit"] != "unit-s" || u["logs_sent"].(float64) != 3 || s["logs_sent"].(float64) != 3 {
		t.Fatalf("%v", s)
	}
	if err := p.SafeClose(); err != nil {
		t.Fatal(err)
	}
}
