# Fugue's engine and worker in one image. Build: docker build -t fugue .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/ ./cmd/engine ./cmd/worker

FROM gcr.io/distroless/static-debian12
COPY --from=build /out/engine /out/worker /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/engine"]
