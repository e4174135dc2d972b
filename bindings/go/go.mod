module github.com/ctyun-it/liblts/bindings/go

go 1.19
