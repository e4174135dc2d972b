package lts

/*
#include <stdint.h>
#include <stdlib.h>
#include "lts.h"

lts_result lts_go_send(lts_producer *p, const char *project, const char *unit,
                       const uint8_t *buf, size_t len, size_t count, uintptr_t handle);
lts_result lts_go_send_shipped(lts_producer *p, const char *project, const char *unit,
                               const uint8_t *buf, size_t len, size_t count, uintptr_t handle);
void lts_go_set_stats_callback(lts_producer_config *c, uintptr_t handle);
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/cgo"
	"sync"
	"sync/atomic"
	"time"
)

// Callback modes (ProducerConfig.CallbackMode).
const (
	CallbackThread = "thread" // callbacks run on liblts's callback thread (the default)
	CallbackPoll   = "poll"   // callbacks run inside Producer.Poll and Close
)

// ProducerConfig is the official SDK's ProducerConfig, with a typed field for every
// producer option of the core (CONFIGURATION.md); zero values mean liblts's defaults
// (512 KiB / 4096 logs / 2000 ms / 8 workers / 100 MiB buffer / fail fast when full /
// thread callbacks / 10 min delivery timeout / no spill / no periodic stats). Set takes any
// key by name.
type ProducerConfig struct {
	BatchSizeBytes    uint64
	BatchCount        uint32
	LingerMs          uint32
	WorkerCount       uint32
	BufferBytes       uint64
	MaxBlockMs        uint32
	CallbackMode      string
	DeliveryTimeoutMs uint32
	// SpillDir is the former name of JournalDir (the same setting).
	SpillDir string
	// JournalDir: a directory the producer owns where each accepted send is kept until
	// reported, so a crash of the process loses none (see lts_producer_config_set_journal_dir
	// in lts.h). The other Journal* fields: 0 is the default (set "journal_sync_ms" by name
	// for 0, a sync before each batch is sent).
	JournalDir          string
	JournalMaxBytes     uint64
	JournalSegmentBytes uint64
	JournalSyncMs       uint32
	JournalMaxAgeMs     uint32
	StatsIntervalMs     uint32
	// IdleUnitsMax: per-unit stats entries kept for idle units (0: the default, 1000; set
	// "idle_units_max" by name for 0).
	IdleUnitsMax uint32
	// StatsCallback gets the stats (as Producer.Stats gives them) every StatsIntervalMs,
	// where callbacks run.
	StatsCallback func(map[string]interface{})
	options       [][2]string
}

// Set sets any producer option by name, checked by liblts now (see ClientConfig.Set).
func (c *ProducerConfig) Set(key, value string) error {
	if err := checkOption(producerScratch, key, value); err != nil {
		return err
	}
	c.options = append(c.options, [2]string{key, value})
	return nil
}

func (c *ProducerConfig) typedOptions() [][2]string {
	var o [][2]string
	num := func(k string, v uint64) {
		if v > 0 {
			o = append(o, [2]string{k, fmt.Sprint(v)})
		}
	}
	str := func(k, v string) {
		if v != "" {
			o = append(o, [2]string{k, v})
		}
	}
	num("batch_size_bytes", c.BatchSizeBytes)
	num("batch_count", uint64(c.BatchCount))
	num("linger_ms", uint64(c.LingerMs))
	num("worker_count", uint64(c.WorkerCount))
	num("buffer_bytes", c.BufferBytes)
	num("max_block_ms", uint64(c.MaxBlockMs))
	str("callback_mode", c.CallbackMode)
	num("delivery_timeout_ms", uint64(c.DeliveryTimeoutMs))
	str("spill_dir", c.SpillDir)
	str("journal_dir", c.JournalDir)
	num("journal_max_bytes", c.JournalMaxBytes)
	num("journal_segment_bytes", c.JournalSegmentBytes)
	num("journal_sync_ms", uint64(c.JournalSyncMs))
	num("journal_max_age_ms", uint64(c.JournalMaxAgeMs))
	num("stats_interval_ms", uint64(c.StatsIntervalMs))
	num("idle_units_max", uint64(c.IdleUnitsMax))
	return o
}

func (c *ProducerConfig) native() (*C.lts_producer_config, error) {
	var pc *C.lts_producer_config
	if err := call(func() C.lts_result { return C.lts_producer_config_new(&pc) }); err != nil {
		return nil, err
	}
	for _, kv := range append(c.typedOptions(), c.options...) {
		if err := setOption(producerSetter(pc), kv[0], kv[1]); err != nil {
			C.lts_producer_config_free(pc)
			return nil, err
		}
	}
	return pc, nil
}

// SendResult is the outcome of one Send.
type SendResult struct {
	Code       int32 // OK or why the logs were not accepted by the service
	StatusCode int32
	ErrorCode  string // "LTS_xxxx" or ""
	Message    string
	LogCount   int
	Attempts   uint32
}

// OK is true when the service accepted the logs.
func (r SendResult) OK() bool { return r.Code == OK }

// Callback receives a Send's result, once, on liblts's callback thread: keep it short.
type Callback func(SendResult)

// Producer batches and sends logs in the background. Safe for many goroutines.
type Producer struct {
	mu    sync.RWMutex
	h     *C.lts_producer
	stats cgo.Handle // the stats callback's handle, freed after close
	final string     // the stats JSON at close, what Stats returns once closed

	// The log handlers sending through this producer, each with its handle (see shipper),
	// freed after close.
	shipMu   sync.Mutex
	shippers map[shipper]cgo.Handle
}

// shipper is a log handler (LogWriter, SlogHandler): its sends ask for no result but a
// failed delivery, which it counts and reports. Each has one handle for its producer's
// life, so a send makes no handle and a delivered batch calls nothing in Go.
type shipper interface {
	shipFailed(err error)
}

//export ltsGoShipFailed
func ltsGoShipFailed(handle C.uintptr_t, r *C.lts_send_result) {
	code := int32(C.lts_send_result_code(r))
	cgo.Handle(handle).Value().(shipper).shipFailed(&Error{Code: code, Name: resultName(code),
		Message: C.GoString(C.lts_send_result_message(r))})
}

// ship sends one log of a log handler: a refusal is counted in dropped and given to onError
// at once, a failed delivery reaches s.shipFailed later.
func (p *Producer) ship(s shipper, project, unit string, it *LogItem, dropped *atomic.Int64, onError func(error)) {
	if err := p.sendShipped(s, project, unit, it); err != nil {
		dropped.Add(1)
		report(onError, err)
	}
}

func (p *Producer) sendShipped(s shipper, project, unit string, it *LogItem) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	h, err := p.handle()
	if err != nil {
		return err
	}
	p.shipMu.Lock()
	handle, ok := p.shippers[s]
	if !ok {
		if p.shippers == nil {
			p.shippers = map[shipper]cgo.Handle{}
		}
		handle = cgo.NewHandle(s)
		p.shippers[s] = handle
	}
	p.shipMu.Unlock()
	items := [1]*LogItem{it}
	buf := packSend(project, unit, items[:])
	defer buf.release()
	return call(func() C.lts_result {
		return C.lts_go_send_shipped(h, buf.project(), buf.unitName(), buf.itemsPtr(), buf.itemsLen(), 1,
			C.uintptr_t(handle))
	})
}

// NewProducer makes a producer; add clients, then Start.
func NewProducer(cfg *ProducerConfig) (*Producer, error) {
	pc, err := cfg.native()
	if err != nil {
		return nil, err
	}
	defer C.lts_producer_config_free(pc)
	p := &Producer{}
	if cfg.StatsCallback != nil {
		p.stats = cgo.NewHandle(cfg.StatsCallback)
		C.lts_go_set_stats_callback(pc, C.uintptr_t(p.stats))
	}
	if err := call(func() C.lts_result { return C.lts_producer_new(pc, &p.h) }); err != nil {
		if p.stats != 0 {
			p.stats.Delete()
		}
		return nil, err
	}
	runtime.SetFinalizer(p, func(p *Producer) { p.Close(0) })
	return p, nil
}

//export ltsGoStats
func ltsGoStats(handle C.uintptr_t, text *C.char) {
	cb := cgo.Handle(handle).Value().(func(map[string]interface{}))
	var stats map[string]interface{}
	if json.Unmarshal([]byte(C.GoString(text)), &stats) == nil {
		cb(stats)
	}
}

// Stats is everything the producer counts: logs_accepted, logs_sent, logs_failed, ...,
// retries_by_reason, token_renewals, token_failures, units (per project and unit) and
// last_error (lts_producer_stats_json in lts.h). Numbers are float64, as encoding/json
// decodes them. After a close, the final counters.
func (p *Producer) Stats() (map[string]interface{}, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var text string
	if p.h == nil && p.final != "" {
		text = p.final
		var stats map[string]interface{}
		err := json.Unmarshal([]byte(text), &stats)
		return stats, err
	}
	h, err := p.handle()
	if err != nil {
		return nil, err
	}
	err = call(func() C.lts_result {
		var ok bool
		if text, ok = takeString(C.lts_producer_stats_json(h)); !ok {
			return C.lts_result(ErrInvalidArg)
		}
		return 0
	})
	if err != nil {
		return nil, err
	}
	var stats map[string]interface{}
	if err := json.Unmarshal([]byte(text), &stats); err != nil {
		return nil, err
	}
	return stats, nil
}

// Poll runs up to max ready callbacks (and liblts's log lines and stats) on this goroutine's
// thread, waiting up to timeout for the first; for CallbackMode "poll". It returns how many
// callbacks ran.
func (p *Producer) Poll(max int, timeout time.Duration) (int, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	h, err := p.handle()
	if err != nil {
		return 0, err
	}
	var served C.size_t
	err = call(func() C.lts_result {
		return C.lts_producer_poll(h, C.size_t(max), C.uint32_t(timeout.Milliseconds()), &served)
	})
	return int(served), err
}

func (p *Producer) handle() (*C.lts_producer, error) {
	if p.h == nil {
		return nil, &Error{Code: ErrClosed, Name: resultName(ErrClosed), Message: "the producer is closed"}
	}
	return p.h, nil
}

// AddClient registers the client for cfg.LogProject (build_clients).
func (p *Producer) AddClient(cfg *ClientConfig) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	h, err := p.handle()
	if err != nil {
		return err
	}
	nc, err := cfg.native()
	if err != nil {
		return err
	}
	defer C.lts_client_config_free(nc)
	return call(func() C.lts_result { return C.lts_producer_add_client(h, nc) })
}

// Start starts the producer's threads.
func (p *Producer) Start() error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	h, err := p.handle()
	if err != nil {
		return err
	}
	return call(func() C.lts_result { return C.lts_producer_start(h) })
}

//export ltsGoSendResult
func ltsGoSendResult(handle C.uintptr_t, r *C.lts_send_result) {
	h := cgo.Handle(handle)
	cb := h.Value().(Callback)
	h.Delete()
	cb(SendResult{
		Code:       int32(C.lts_send_result_code(r)),
		StatusCode: int32(C.lts_send_result_status_code(r)),
		ErrorCode:  C.GoString(C.lts_send_result_error(r)),
		Message:    C.GoString(C.lts_send_result_message(r)),
		LogCount:   int(C.lts_send_result_log_count(r)),
		Attempts:   uint32(C.lts_send_result_attempts(r)),
	})
}

// Send queues items and returns at once; cb (may be nil) runs exactly once if it returns nil.
func (p *Producer) Send(project, unit string, items []*LogItem, cb Callback) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	h, err := p.handle()
	if err != nil {
		return err
	}
	buf := packSend(project, unit, items)
	defer buf.release()
	var handle cgo.Handle
	if cb != nil {
		handle = cgo.NewHandle(cb)
	}
	err = call(func() C.lts_result {
		return C.lts_go_send(h, buf.project(), buf.unitName(), buf.itemsPtr(), buf.itemsLen(), C.size_t(len(items)),
			C.uintptr_t(handle))
	})
	if err != nil && handle != 0 {
		handle.Delete() // refused: the callback will never run
	}
	return err
}

// Flush hands every open batch to the workers now, instead of when its linger time runs
// out, and returns at once: it does not wait for delivery (Close does) and the producer keeps
// accepting sends. For a logging framework's flush. An *Error with Code ErrInvalidState
// before Start, ErrClosed once a close began.
func (p *Producer) Flush() error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	h, err := p.handle()
	if err != nil {
		return err
	}
	return call(func() C.lts_result { return C.lts_producer_flush(h) })
}

// Close stops intake and sends what it can within timeout (0: none), runs every callback
// (unsent logs get Code ErrClosed), and frees the producer. It returns an *Error with Code
// ErrTimeout if logs were left unsent. Closing again returns nil.
func (p *Producer) Close(timeout time.Duration) error {
	return p.finish(func(h *C.lts_producer) C.lts_result {
		return C.lts_producer_close(h, C.uint32_t(timeout.Milliseconds()))
	})
}

// SafeClose sends everything, runs every callback, and frees the producer.
func (p *Producer) SafeClose() error {
	return p.finish(func(h *C.lts_producer) C.lts_result { return C.lts_producer_safe_close(h) })
}

// finish detaches the handle once no call is using it (Lock waits for them), then closes it
// outside the lock: callbacks run during close may call Send, which then sees ErrClosed.
func (p *Producer) finish(close func(*C.lts_producer) C.lts_result) error {
	p.mu.Lock()
	h := p.h
	p.h = nil
	p.mu.Unlock()
	if h == nil {
		return nil
	}
	err := call(func() C.lts_result { return close(h) })
	// Closed: the counters are final (nothing buffered); kept for Stats after the free.
	if text, ok := takeString(C.lts_producer_stats_json(h)); ok {
		p.mu.Lock()
		p.final = text
		p.mu.Unlock()
	}
	C.lts_producer_free(h)
	if p.stats != 0 {
		p.stats.Delete() // close ran the last stats callback
		p.stats = 0
	}
	// Close ran every send's result: the handlers' handles are done with (a send after
	// close is refused before it would make one).
	p.shipMu.Lock()
	for _, handle := range p.shippers {
		handle.Delete()
	}
	p.shippers = nil
	p.shipMu.Unlock()
	return err
}
