package lts

/*
#include <stdlib.h>
#include "lts.h"
*/
import "C"

import (
	"encoding/json"
	"unsafe"
)

// Option is one entry of liblts's option table (CONFIGURATION.md), as lts_config_schema
// gives it.
type Option struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Choices   []string `json:"choices"`
	Default   string   `json:"default"`
	Range     string   `json:"range"`
	Doc       string   `json:"doc"`
	WriteOnly bool     `json:"write_only"`
	Profile   bool     `json:"profile"`
}

// Schema is every client and producer option liblts has.
type Schema struct {
	Client   []Option `json:"client"`
	Producer []Option `json:"producer"`
}

// ConfigSchema reads liblts's option table.
func ConfigSchema() Schema {
	var s Schema
	if err := json.Unmarshal([]byte(C.GoString(C.lts_config_schema())), &s); err != nil {
		panic("liblts's option schema is not JSON: " + err.Error())
	}
	return s
}

type setter func(key, value *C.char) C.lts_result

func clientSetter(h *C.lts_client_config) setter {
	return func(k, v *C.char) C.lts_result { return C.lts_client_config_set(h, k, v) }
}

func producerSetter(h *C.lts_producer_config) setter {
	return func(k, v *C.char) C.lts_result { return C.lts_producer_config_set(h, k, v) }
}

func setOption(set setter, key, value string) error {
	k, v := C.CString(key), C.CString(value)
	defer C.free(unsafe.Pointer(k))
	defer C.free(unsafe.Pointer(v))
	return call(func() C.lts_result { return set(k, v) })
}

// checkOption sets the option on a scratch config made by scratch, so a bad key or value is
// reported when it is given rather than when the config is used.
func checkOption(scratch func() (setter, func()), key, value string) error {
	set, free := scratch()
	defer free()
	return setOption(set, key, value)
}

func clientScratch() (setter, func()) {
	e, a := C.CString("http://127.0.0.1"), C.CString("ak")
	defer C.free(unsafe.Pointer(e))
	defer C.free(unsafe.Pointer(a))
	empty := C.CString("")
	defer C.free(unsafe.Pointer(empty))
	var h *C.lts_client_config
	C.lts_client_config_new(e, a, a, empty, &h)
	return clientSetter(h), func() { C.lts_client_config_free(h) }
}

func producerScratch() (setter, func()) {
	var h *C.lts_producer_config
	C.lts_producer_config_new(&h)
	return producerSetter(h), func() { C.lts_producer_config_free(h) }
}

// takeString copies a char * liblts handed over and frees it.
func takeString(p *C.char) (string, bool) {
	if p == nil {
		return "", false
	}
	defer C.lts_string_free(p)
	return C.GoString(p), true
}

// nativeOption reads an option back from a native config (for the drift test).
func nativeOption(get func(*C.char) *C.char, key string) (string, error) {
	k := C.CString(key)
	defer C.free(unsafe.Pointer(k))
	var out string
	err := call(func() C.lts_result {
		var ok bool
		if out, ok = takeString(get(k)); !ok {
			return C.lts_result(ErrInvalidArg)
		}
		return 0
	})
	return out, err
}

// readBack builds the native config and reads key from it: what liblts got.
func (c *ClientConfig) readBack(key string) (string, error) {
	h, err := c.native()
	if err != nil {
		return "", err
	}
	defer C.lts_client_config_free(h)
	return nativeOption(func(k *C.char) *C.char { return C.lts_client_config_get(h, k) }, key)
}

// readBack builds the native config and reads key from it: what liblts got.
func (c *ProducerConfig) readBack(key string) (string, error) {
	h, err := c.native()
	if err != nil {
		return "", err
	}
	defer C.lts_producer_config_free(h)
	return nativeOption(func(k *C.char) *C.char { return C.lts_producer_config_get(h, k) }, key)
}
