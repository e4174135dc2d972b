// Command bench is one side of the benchmark suite's Go rows (scripts/bench-go.sh runs it;
// scripts/bench.py reads its key=value lines):
//
//	bench SIDE ENDPOINT LOGS PER_SEND RATE
//
// SIDE: producer (a fresh `wide` LogItem per log, Producer.Send of PER_SEND logs, no callback);
// stdlib (what a Go program can do with the standard library alone, since no protobuf or lz4
// module can be fetched here: the OTLP protobuf appended by hand, batches of 4096 with a
// 2000 ms linger and up to 8 requests in flight, net/http with keep-alive; the standard library
// has no lz4, so its bodies go uncompressed, which costs it less CPU than compressing would);
// log-lts / log-file (log.Printf of the log's message with 3 fields, through LogWriter or to an
// os.File). RATE 0: a burst; else RATE logs/s in bursts of 100. First a warm-up of its own,
// then the measured run: from building the producer to its close, the process's CPU time
// (every thread) per log.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	lts "github.com/ctyun-it/liblts/bindings/go"
)

const (
	ak = "lts-local-ak"
	sk = "lts-local-sk"
	ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"
)

// data is a log's own strings and numbers, made as a program makes them.
type data struct {
	ts                     int64
	msg, host, path, trace string
	latency                float64
}

func pad(b []byte, v uint64, width int) []byte {
	var d [20]byte
	for k := width - 1; k >= 0; k-- {
		d[k] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:width]...)
}

func makeData(i uint64) data {
	var b [128]byte
	n8 := pad(b[:0], i, 8)
	msg := "GET /api/v1/orders/" + string(n8) + " HTTP/1.1 200 1532 0.012 \"Mozilla/5.0 (X11; Linux x86_64)\""
	var t [32]byte
	for k := 0; k < 16; k++ {
		t[k] = '0'
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], i*2654435761)
	hex.Encode(t[16:], v[:])
	return data{
		ts:      lts.NowNs(),
		msg:     msg,
		host:    "web-" + string(pad(b[8:8], i%16, 2)) + ".prod.example",
		path:    "/api/v1/orders/" + string(n8),
		trace:   string(t[:]),
		latency: 12.5 + float64(i%7),
	}
}

func wide(d data) *lts.LogItem {
	it := lts.NewLogItem(d.ts, d.msg)
	must(it.PushContent("level", "info"))
	must(it.PushContent("host", d.host))
	must(it.PushContent("method", "GET"))
	must(it.PushContent("path", d.path))
	must(it.PushContent("status", 200))
	must(it.PushContent("latency_ms", d.latency))
	must(it.PushContent("trace_id", d.trace))
	must(it.PushContent("user_agent", ua))
	must(it.PushLabel("user_tag", "string"))
	return it
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// side is what a run does per log, and how it starts and stops.
type side interface {
	start()
	log(i uint64)
	// finish closes; it returns the logs the library reports sent (-1: counted by the server).
	finish() int64
}

type producerSide struct {
	url     string
	perSend int
	p       *lts.Producer
	batch   []*lts.LogItem
}

func (s *producerSide) start() {
	var err error
	s.p, err = lts.NewProducer(&lts.ProducerConfig{})
	must(err)
	must(s.p.AddClient(lts.NewClientConfig(s.url, ak, sk, "bench")))
	must(s.p.Start())
	s.batch = make([]*lts.LogItem, 0, s.perSend)
}

func (s *producerSide) log(i uint64) {
	s.batch = append(s.batch, wide(makeData(i)))
	if len(s.batch) == s.perSend {
		must(s.p.Send("bench", "unit", s.batch, nil))
		s.batch = make([]*lts.LogItem, 0, s.perSend)
	}
}

func (s *producerSide) finish() int64 {
	if len(s.batch) > 0 {
		must(s.p.Send("bench", "unit", s.batch, nil))
	}
	must(s.p.SafeClose())
	st, err := s.p.Stats()
	must(err)
	return int64(st["logs_sent"].(float64))
}

// ---- the standard library alone ------------------------------------------------------------

func appendVarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendTag(b []byte, field, wire int) []byte { return appendVarint(b, uint64(field<<3|wire)) }

func appendBytes(b []byte, field int, s string) []byte {
	b = appendTag(b, field, 2)
	b = appendVarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendKV appends a KeyValue (field `field` of its parent) of a string, int or float.
func appendKV(b []byte, field int, key string, value interface{}) []byte {
	var inner int // the AnyValue's length
	switch v := value.(type) {
	case string:
		inner = 1 + sizeVarint(uint64(len(v))) + len(v)
	case int:
		inner = 1 + sizeVarint(uint64(v))
	case float64:
		inner = 9
	}
	kv := 1 + sizeVarint(uint64(len(key))) + len(key) + 1 + sizeVarint(uint64(inner)) + inner
	b = appendVarint(appendTag(b, field, 2), uint64(kv))
	b = appendBytes(b, 1, key)
	b = appendVarint(appendTag(b, 2, 2), uint64(inner))
	switch v := value.(type) {
	case string:
		b = appendBytes(b, 1, v)
	case int:
		b = appendVarint(appendTag(b, 3, 0), uint64(v))
	case float64:
		b = binary.LittleEndian.AppendUint64(appendTag(b, 4, 1), math.Float64bits(v))
	}
	return b
}

func sizeVarint(n uint64) int {
	s := 1
	for n >= 0x80 {
		n >>= 7
		s++
	}
	return s
}

type stdlibSide struct {
	url     string
	client  *http.Client
	token   string
	mu      sync.Mutex
	recs    []byte // the batch's LogRecords, each as ScopeLogs field 2
	count   int
	linger  *time.Timer
	slots   chan struct{}
	wg      sync.WaitGroup
	sent    int64
	failure error
	scratch []byte
}

func (s *stdlibSide) start() {
	s.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	s.slots = make(chan struct{}, 8)
	s.token = eopToken(s.client, s.url)
}

func eopToken(c *http.Client, url string) string {
	body := []byte("{}")
	var id [16]byte
	_, _ = rand.Read(id[:])
	rid := hex.EncodeToString(id[:])
	date := time.Now().UTC().Format("20060102T150405Z")
	h := sha256.Sum256(body)
	sts := "ctyun-eop-request-id:" + rid + "\neop-date:" + date + "\n\n\n" + hex.EncodeToString(h[:])
	hm := func(k []byte, d string) []byte { m := hmac.New(sha256.New, k); m.Write([]byte(d)); return m.Sum(nil) }
	k := hm(hm(hm([]byte(sk), date), ak), date[:8])
	req, err := http.NewRequest("POST", url+"/v1/auth/token", bytes.NewReader(body))
	must(err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("ctyun-eop-request-id", rid)
	req.Header.Set("Eop-date", date)
	req.Header.Set("Eop-Authorization", ak+" Headers=ctyun-eop-request-id;eop-date Signature="+
		base64.StdEncoding.EncodeToString(hm(k, sts)))
	resp, err := c.Do(req)
	must(err)
	defer resp.Body.Close()
	var j struct {
		ReturnObj struct{ Token string } `json:"returnObj"`
	}
	must(json.NewDecoder(resp.Body).Decode(&j))
	return j.ReturnObj.Token
}

func (s *stdlibSide) log(i uint64) {
	d := makeData(i)
	r := s.scratch[:0]
	r = binary.LittleEndian.AppendUint64(appendTag(r, 1, 1), uint64(d.ts))
	r = appendVarint(appendTag(r, 5, 2), uint64(1+sizeVarint(uint64(len(d.msg)))+len(d.msg)))
	r = appendBytes(r, 1, d.msg)
	r = appendKV(r, 6, "level", "info")
	r = appendKV(r, 6, "host", d.host)
	r = appendKV(r, 6, "method", "GET")
	r = appendKV(r, 6, "path", d.path)
	r = appendKV(r, 6, "status", 200)
	r = appendKV(r, 6, "latency_ms", d.latency)
	r = appendKV(r, 6, "trace_id", d.trace)
	r = appendKV(r, 6, "user_agent", ua)
	s.scratch = r
	s.mu.Lock()
	if s.count == 0 {
		s.linger = time.AfterFunc(2*time.Second, s.flush)
	}
	s.recs = appendVarint(appendTag(s.recs, 2, 2), uint64(len(r)))
	s.recs = append(s.recs, r...)
	s.count++
	full := s.count == 4096
	s.mu.Unlock()
	if full {
		s.flush()
	}
}

// flush posts the batch (waiting for one of the 8 request slots, as a producer's send would).
func (s *stdlibSide) flush() {
	s.mu.Lock()
	recs, n := s.recs, s.count
	s.recs, s.count = nil, 0
	if s.linger != nil {
		s.linger.Stop()
	}
	s.mu.Unlock()
	if n == 0 {
		return
	}
	var scope []byte
	scope = appendVarint(appendTag(scope, 1, 2), uint64(2+len("pure-go")))
	scope = appendBytes(scope, 1, "pure-go")
	scope = append(scope, recs...)
	res := appendKV(nil, 1, "user_tag", "string")
	var rl []byte
	rl = appendVarint(appendTag(rl, 1, 2), uint64(len(res)))
	rl = append(rl, res...)
	rl = appendVarint(appendTag(rl, 2, 2), uint64(len(scope)))
	rl = append(rl, scope...)
	body := appendVarint(appendTag(nil, 1, 2), uint64(len(rl)))
	body = append(body, rl...)
	s.slots <- struct{}{}
	s.wg.Add(1)
	go func() {
		defer func() { <-s.slots; s.wg.Done() }()
		if err := s.post(body); err != nil {
			s.mu.Lock()
			s.failure = err
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		s.sent += int64(n)
		s.mu.Unlock()
	}()
}

func (s *stdlibSide) post(body []byte) error {
	var id [16]byte
	_, _ = rand.Read(id[:])
	req, err := http.NewRequest("POST", s.url+"/v1/lts/logs?logProject=bench&logUnit=unit", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("x-lts-token", s.token)
	req.Header.Set("x-lts-compresstype", "none")
	req.Header.Set("x-lts-bodyrawsize", strconv.Itoa(len(body)))
	req.Header.Set("x-lts-batch-id", hex.EncodeToString(id[:]))
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var j struct{ StatusCode int }
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		return err
	}
	if j.StatusCode != 0 {
		return fmt.Errorf("status %d", j.StatusCode)
	}
	return nil
}

func (s *stdlibSide) finish() int64 {
	s.flush()
	s.wg.Wait()
	must(s.failure)
	return s.sent
}

// ---- the log package: LogWriter or an os.File --------------------------------------------

type logSide struct {
	url    string
	lts    bool
	p      *lts.Producer
	w      *lts.LogWriter
	file   *os.File
	dir    string
	logger *log.Logger
}

func (s *logSide) start() {
	var out io.Writer
	if s.lts {
		var err error
		s.p, err = lts.NewProducer(&lts.ProducerConfig{})
		must(err)
		must(s.p.AddClient(lts.NewClientConfig(s.url, ak, sk, "bench")))
		must(s.p.Start())
		s.w = lts.NewLogWriter(s.p, "bench", "unit", "app")
		out = s.w
	} else {
		var err error
		s.dir, err = os.MkdirTemp("", "bench")
		must(err)
		s.file, err = os.Create(filepath.Join(s.dir, "app.log"))
		must(err)
		out = s.file
	}
	s.logger = log.New(out, "", log.LstdFlags)
}

func (s *logSide) log(i uint64) {
	d := makeData(i)
	s.logger.Printf("%s order=%d host=%s latency_ms=%g", d.msg, i, d.host, d.latency)
}

func (s *logSide) finish() int64 {
	if s.lts {
		must(s.p.SafeClose())
		if s.w.Dropped() != 0 || s.w.Failed() != 0 {
			must(fmt.Errorf("%d dropped, %d failed", s.w.Dropped(), s.w.Failed()))
		}
		return -1
	}
	must(s.file.Close())
	must(os.RemoveAll(s.dir))
	return -1
}

func newSide(name, url string, perSend int) side {
	switch name {
	case "producer":
		return &producerSide{url: url, perSend: perSend}
	case "stdlib":
		return &stdlibSide{url: url}
	case "log-lts":
		return &logSide{url: url, lts: true}
	case "log-file":
		return &logSide{url: url}
	}
	must(fmt.Errorf("unknown side %q (producer, stdlib, log-lts, log-file)", name))
	return nil
}

func cpuNs() int64 {
	var u syscall.Rusage
	must(syscall.Getrusage(syscall.RUSAGE_SELF, &u))
	return u.Utime.Nano() + u.Stime.Nano()
}

// run sends n logs; it returns the wall and CPU time and what the side reports sent.
func run(s side, n uint64, rate float64) (wall time.Duration, cpu int64, sent int64) {
	c0, t0 := cpuNs(), time.Now()
	s.start()
	for i := uint64(0); i < n; i++ {
		if rate > 0 && i%100 == 0 {
			time.Sleep(time.Until(t0.Add(time.Duration(float64(i) / rate * 1e9))))
		}
		s.log(i)
	}
	sent = s.finish()
	return time.Since(t0), cpuNs() - c0, sent
}

func main() {
	if len(os.Args) != 6 {
		must(fmt.Errorf("usage: bench producer|stdlib|log-lts|log-file ENDPOINT LOGS PER_SEND RATE"))
	}
	name, url := os.Args[1], os.Args[2]
	logs, err := strconv.ParseUint(os.Args[3], 10, 64)
	must(err)
	perSend, err := strconv.Atoi(os.Args[4])
	must(err)
	rate, err := strconv.ParseFloat(os.Args[5], 64)
	must(err)

	// The program's own making of a log's data, alone (the C benchmark's format_ns_per_log).
	const formatN = 200000
	f0, keep := cpuNs(), 0
	for i := uint64(0); i < formatN; i++ {
		keep += len(makeData(i).trace)
	}
	formatNs := float64(cpuNs()-f0) / formatN

	warm := logs
	if warm > 200000 {
		warm = 200000
	}
	_, _, wsent := run(newSide(name, url, perSend), warm, 0)
	wall, cpu, sent := run(newSide(name, url, perSend), logs, rate)
	if sent != -1 && (wsent != int64(warm) || sent != int64(logs)) {
		must(fmt.Errorf("%s: %d + %d logs reported sent, not %d + %d", name, wsent, sent, warm, logs))
	}
	toLts := uint64(0)
	if name != "log-file" {
		toLts = warm + logs
	}
	paced := ""
	if rate > 0 {
		paced = ", paced"
	}
	perLog := float64(cpu) / float64(logs)
	fmt.Printf("%s, %d per send%s: %.0f logs/s, %.0f ns CPU per log\n", name, perSend, paced,
		float64(logs)/wall.Seconds(), perLog)
	fmt.Printf("logs=%d\nsent_logs=%d\nlogs_per_s=%.0f\ncpu_ns_per_log=%.1f\nformat_ns_per_log=%.1f\nignore=%d\n",
		logs, toLts, float64(logs)/wall.Seconds(), perLog, formatNs, keep%2)
}
