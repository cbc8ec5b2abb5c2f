package kafkaopt_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/internal/kafkaopt"
)

// These tests check the options that are built, and that a client accepts
// them, without a broker. Against the real broker's TLS and SASL test
// listeners (scripts/kafka.sh) they are run by internal/kafkatest
// (TestSecuredListeners, TestSecuredListenersRefuse) and, with an engine
// and a worker, by internal/engine (TestSecured*).

func TestZeroConfigHasNoOpts(t *testing.T) {
	t.Parallel()
	opts, err := kafkaopt.Config{}.Opts()
	if err != nil || len(opts) != 0 {
		t.Fatalf("Opts() = %d opts, %v; want none", len(opts), err)
	}
}

func TestSASLMechanisms(t *testing.T) {
	t.Parallel()
	for _, mech := range []string{"PLAIN", "plain", "SCRAM-SHA-256", "scram-sha-512"} {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			c := kafkaopt.Config{SASLMechanism: mech, SASLUser: "u", SASLPassword: "p"}
			opts, err := c.Opts()
			if err != nil {
				t.Fatal(err)
			}
			if len(opts) != 1 {
				t.Fatalf("got %d opts, want 1 (SASL)", len(opts))
			}
			newClient(t, opts)
		})
	}
}

func TestBadSASL(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		c    kafkaopt.Config
		want string
	}{
		"unknown mechanism":     {kafkaopt.Config{SASLMechanism: "GSSAPI", SASLUser: "u"}, `unknown SASL mechanism "GSSAPI"`},
		"no user":               {kafkaopt.Config{SASLMechanism: "PLAIN"}, "needs a user"},
		"user but no mechanism": {kafkaopt.Config{SASLUser: "u", SASLPassword: "p"}, "without a mechanism"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.c.Opts()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Opts() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, cert, key := writeCA(t, dir)
	for name, c := range map[string]kafkaopt.Config{
		"system roots":  {TLS: true},
		"CA":            {CAFile: ca},
		"mutual TLS":    {CAFile: ca, CertFile: cert, KeyFile: key},
		"insecure":      {InsecureSkipVerify: true},
		"TLS and SCRAM": {TLS: true, CAFile: ca, SASLMechanism: "SCRAM-SHA-512", SASLUser: "u", SASLPassword: "p"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts, err := c.Opts()
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if c.SASLMechanism != "" {
				want = 2
			}
			if len(opts) != want {
				t.Fatalf("got %d opts, want %d", len(opts), want)
			}
			newClient(t, opts)
		})
	}
}

// TestTLSConfigLoadsFiles checks that the CA file becomes the roots that
// verify a certificate the CA signed, and that the client certificate is
// loaded.
func TestTLSConfigLoadsFiles(t *testing.T) {
	t.Parallel()
	ca, cert, key := writeCA(t, t.TempDir())
	tc, err := kafkaopt.Config{CAFile: ca, CertFile: cert, KeyFile: key}.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if tc == nil || tc.RootCAs == nil || len(tc.Certificates) != 1 || tc.InsecureSkipVerify {
		t.Fatalf("TLSConfig() = %+v", tc)
	}
	leaf, err := x509.ParseCertificate(tc.Certificates[0].Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: tc.RootCAs, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("the loaded CA does not verify a certificate it signed: %v", err)
	}
	if tc, err := (kafkaopt.Config{}).TLSConfig(); tc != nil || err != nil {
		t.Errorf("TLS off: TLSConfig() = %v, %v; want nil, nil", tc, err)
	}
	if tc, _ := (kafkaopt.Config{InsecureSkipVerify: true}).TLSConfig(); tc == nil || !tc.InsecureSkipVerify {
		t.Errorf("--kafka-tls-insecure not applied: %+v", tc)
	}
}

func TestBadTLSFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, cert, key := writeCA(t, dir)
	notPEM := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		c    kafkaopt.Config
		want string
	}{
		"missing CA":       {kafkaopt.Config{CAFile: filepath.Join(dir, "nope.pem")}, "CA file"},
		"CA not PEM":       {kafkaopt.Config{CAFile: notPEM}, "holds no PEM certificate"},
		"cert without key": {kafkaopt.Config{CAFile: ca, CertFile: cert}, "both a certificate file and a key file"},
		"key is not a key": {kafkaopt.Config{CertFile: cert, KeyFile: notPEM}, "client certificate"},
		"wrong files":      {kafkaopt.Config{CertFile: key, KeyFile: cert}, "client certificate"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.c.Opts()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Opts() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	env := map[string]string{kafkaopt.EnvUser: "alice", kafkaopt.EnvPassword: "s3cret"}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	c := kafkaopt.Register(fs, func(k string) string { return env[k] })
	if err := fs.Parse([]string{"--kafka-tls", "--kafka-sasl", "SCRAM-SHA-256", "--kafka-ca", "/ca.pem"}); err != nil {
		t.Fatal(err)
	}
	want := kafkaopt.Config{TLS: true, CAFile: "/ca.pem", SASLMechanism: "SCRAM-SHA-256", SASLUser: "alice", SASLPassword: "s3cret"}
	if *c != want {
		t.Fatalf("config = %+v, want %+v", *c, want)
	}
	fs.PrintDefaults()
	if strings.Contains(usage.String(), "s3cret") {
		t.Fatalf("the usage shows the password:\n%s", usage.String())
	}
	for _, f := range []string{"kafka-tls", "kafka-ca", "kafka-cert", "kafka-key", "kafka-tls-insecure", "kafka-sasl", "kafka-user", "kafka-password"} {
		if fs.Lookup(f) == nil {
			t.Errorf("flag --%s is missing", f)
		}
	}

	// A flag overrides the environment.
	fs = flag.NewFlagSet("test", flag.ContinueOnError)
	c = kafkaopt.Register(fs, func(k string) string { return env[k] })
	if err := fs.Parse([]string{"--kafka-user", "bob", "--kafka-password", "other"}); err != nil {
		t.Fatal(err)
	}
	if c.SASLUser != "bob" || c.SASLPassword != "other" {
		t.Fatalf("flags did not override the environment: %+v", *c)
	}
}

// newClient checks that franz-go accepts opts; it dials nothing until used.
func newClient(t *testing.T, opts []kgo.Opt) {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers("127.0.0.1:1")}, opts...)...)
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	cl.Close()
}

// writeCA writes a self-signed CA and a client certificate it signed, as
// PEM files in dir, and returns their paths.
func writeCA(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fugue test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	clientKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clientDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "fugue client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, caCert, &clientKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("client.pem", "CERTIFICATE", clientDER), write("client-key.pem", "EC PRIVATE KEY", keyDER)
}

// TestPermanent checks which errors the engine and the worker give up on
// at start-up. The real broker's errors are checked in internal/kafkatest.
func TestPermanent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("topic: create x: %w", kerr.SaslAuthenticationFailed), true},
		{kerr.TopicAuthorizationFailed, true},
		{fmt.Errorf("create: %w", kerr.NotController), false}, // retriable
		{fmt.Errorf("unable to dial: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), true},
		{io.EOF, false},
		{errors.New("connection refused"), false},
		{nil, false},
	} {
		if got := kafkaopt.Permanent(tc.err); got != tc.want {
			t.Errorf("Permanent(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
