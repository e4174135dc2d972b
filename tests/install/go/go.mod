module example.com/my-go-app

go 1.19
