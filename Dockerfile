# rencana: one static binary for `serve`, `worker`, `migrate`, `user` and `import`.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/rencana ./cmd/rencana

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rencana /usr/local/bin/rencana
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/rencana"]
CMD ["serve"]
