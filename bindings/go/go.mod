module liblts/lts

go 1.19
