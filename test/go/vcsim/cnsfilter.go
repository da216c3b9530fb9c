package main

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// cnsQueryFilterType gives CnsQueryVolume's filter its declared type when the
// request leaves xsi:type out, as SOAP allows for an element of its declared
// type and vk does. vCenter reads such a filter as a CnsQueryFilter; govmomi
// v0.56.0 declares the field as an interface, so its decoder drops the
// untyped filter and CnsQueryVolume then panics on the nil filter (the
// client sees the connection closed).
func cnsQueryFilterType(next http.Handler) http.Handler {
	untyped := []byte(`<filter>`)
	typed := []byte(`<filter xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CnsQueryFilter">`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/vsanHealth" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if bytes.Contains(body, []byte("<CnsQueryVolume")) {
			body = bytes.ReplaceAll(body, untyped, typed)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		next.ServeHTTP(w, r)
	})
}
