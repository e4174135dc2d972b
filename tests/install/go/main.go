// A Go program outside the liblts repository, using the binding by its module path (through a
// replace directive or a module proxy) and finding liblts through pkg-config (make install or
// the release tarball, and PKG_CONFIG_PATH). Exits 0 only if the service stored the logs.
package main

import (
	"fmt"
	"os"

	lts "github.com/ctyun-it/liblts/bindings/go"
)

func main() {
	endpoint := os.Getenv("LTS_ENDPOINT")
	if endpoint == "" {
		fmt.Fprintln(os.Stderr, "set LTS_ENDPOINT (lts-local -- ./my-go-app does)")
		os.Exit(2)
	}
	client, err := lts.NewClient(lts.NewClientConfig(endpoint, "lts-local-ak", "lts-local-sk", "go-project"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer client.Close()
	var items []*lts.LogItem
	for i := 0; i < 5; i++ {
		item := lts.NewLogItem(lts.NowNs(), fmt.Sprintf("hello from Go %d", i))
		if err := item.PushContent("lang", "go"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		items = append(items, item)
	}
	resp, err := client.PutLogs("go-project", "go-unit", items)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("Go: %d logs, service says %d %s\n", len(items), resp.StatusCode, resp.Message)
}
