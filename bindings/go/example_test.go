package lts_test

import (
	"fmt"
	"log"
	"os"
	"testing"

	lts "github.com/ctyun-it/liblts/bindings/go"
)

// TestMain gives the examples a fresh lts-local as LTS_ENDPOINT, as `lts-local -- go test`
// does; the tests start servers of their own.
func TestMain(m *testing.M) {
	if os.Getenv("LTS_ENDPOINT") != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "lts-go-examples")
	if err != nil {
		log.Fatal(err)
	}
	url, stop, err := lts.StartLtsLocal(dir)
	if err != nil {
		log.Fatal(err)
	}
	os.Setenv("LTS_ENDPOINT", url)
	code := m.Run()
	stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// A producer sends in the background: Send returns at once, each send's callback runs once
// with its result, and SafeClose returns when everything is sent and every callback has run.
// The endpoint and key pair are lts-local's; give CTyun's endpoint and your key pair for the
// service.
func Example() {
	producer, err := lts.NewProducer(&lts.ProducerConfig{LingerMs: 100})
	if err != nil {
		log.Fatal(err)
	}
	cfg := lts.NewClientConfig(os.Getenv("LTS_ENDPOINT"), "lts-local-ak", "lts-local-sk", "my-project")
	if err := producer.AddClient(cfg); err != nil {
		log.Fatal(err)
	}
	if err := producer.Start(); err != nil {
		log.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		item := lts.NewLogItem(lts.NowNs(), fmt.Sprintf("GET /api/orders/%d 200", i))
		if err := item.PushContent("status", 200); err != nil { // a key the rules refuse is an error here
			log.Fatal(err)
		}
		err := producer.Send("my-project", "my-unit", []*lts.LogItem{item}, func(r lts.SendResult) {
			if !r.OK() {
				log.Printf("%d logs not sent: %s", r.LogCount, r.Message)
			}
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	if err := producer.SafeClose(); err != nil {
		log.Fatal(err)
	}
	stats, err := producer.Stats()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v of %v logs sent\n", stats["logs_sent"], stats["logs_accepted"])
	// Output: 10 of 10 logs sent
}

// A client sends synchronously and returns the service's answer (statusCode 0: success).
func ExampleClient_PutLogs() {
	client, err := lts.NewClient(lts.NewClientConfig(os.Getenv("LTS_ENDPOINT"), "lts-local-ak", "lts-local-sk", "my-project"))
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	item := lts.NewLogItem(lts.NowNs(), "payment declined")
	if err := item.PushContent("level", "error"); err != nil {
		log.Fatal(err)
	}
	resp, err := client.PutLogs("my-project", "my-unit", []*lts.LogItem{item})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, resp.Message)
	// Output: 0 SUCCESS
}
