package lts

/*
#include <stdint.h>
#include <stdlib.h>
#include "lts.h"

lts_result lts_go_send(lts_producer *p, const char *project, const char *unit,
                       const uint8_t *buf, size_t len, size_t count, uintptr_t handle);
*/
import "C"

import (
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// ProducerConfig is the official SDK's ProducerConfig; zero values mean liblts's defaults
// (512 KiB / 4096 logs / 2000 ms / 8 workers / 100 MiB buffer / fail fast when full).
type ProducerConfig struct {
	BatchSizeBytes    uint64
	BatchCount        uint32
	LingerMs          uint32
	WorkerCount       uint32
	BufferBytes       uint64
	MaxBlockMs        uint32
	DeliveryTimeoutMs uint32
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
	mu sync.RWMutex
	h  *C.lts_producer
}

// NewProducer makes a producer; add clients, then Start.
func NewProducer(cfg *ProducerConfig) (*Producer, error) {
	var pc *C.lts_producer_config
	if err := call(func() C.lts_result { return C.lts_producer_config_new(&pc) }); err != nil {
		return nil, err
	}
	defer C.lts_producer_config_free(pc)
	steps := []func() C.lts_result{}
	if cfg.BatchSizeBytes > 0 {
		steps = append(steps, func() C.lts_result {
			return C.lts_producer_config_set_batch_size_bytes(pc, C.size_t(cfg.BatchSizeBytes))
		})
	}
	if cfg.BatchCount > 0 {
		steps = append(steps, func() C.lts_result { return C.lts_producer_config_set_batch_count(pc, C.uint32_t(cfg.BatchCount)) })
	}
	if cfg.LingerMs > 0 {
		steps = append(steps, func() C.lts_result { return C.lts_producer_config_set_linger_ms(pc, C.uint32_t(cfg.LingerMs)) })
	}
	if cfg.WorkerCount > 0 {
		steps = append(steps, func() C.lts_result { return C.lts_producer_config_set_worker_count(pc, C.uint32_t(cfg.WorkerCount)) })
	}
	if cfg.BufferBytes > 0 {
		steps = append(steps, func() C.lts_result { return C.lts_producer_config_set_buffer_bytes(pc, C.size_t(cfg.BufferBytes)) })
	}
	if cfg.MaxBlockMs > 0 {
		steps = append(steps, func() C.lts_result { return C.lts_producer_config_set_max_block_ms(pc, C.uint32_t(cfg.MaxBlockMs)) })
	}
	if cfg.DeliveryTimeoutMs > 0 {
		steps = append(steps, func() C.lts_result {
			return C.lts_producer_config_set_delivery_timeout_ms(pc, C.uint32_t(cfg.DeliveryTimeoutMs))
		})
	}
	for _, s := range steps {
		if err := call(s); err != nil {
			return nil, err
		}
	}
	p := &Producer{}
	if err := call(func() C.lts_result { return C.lts_producer_new(pc, &p.h) }); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(p, func(p *Producer) { p.Close(0) })
	return p, nil
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
	buf := pack(items)
	cp, cu := C.CString(project), C.CString(unit)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cu))
	var handle cgo.Handle
	if cb != nil {
		handle = cgo.NewHandle(cb)
	}
	err = call(func() C.lts_result {
		return C.lts_go_send(h, cp, cu, bufPtr(buf), C.size_t(len(buf)), C.size_t(len(items)), C.uintptr_t(handle))
	})
	runtime.KeepAlive(buf)
	if err != nil && handle != 0 {
		handle.Delete() // refused: the callback will never run
	}
	return err
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
	C.lts_producer_free(h)
	return err
}
