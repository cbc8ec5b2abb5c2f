package kafkatest

import (
	"os"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/fugue-run/fugue/internal/kafkaopt"
)

// Environment variables of the test broker's secured listeners, which
// scripts/kafka.sh up exports besides KAFKA_BROKERS (docs/KAFKA.md).
const (
	// EnvSASLBrokers: SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512.
	EnvSASLBrokers = "KAFKA_SASL_BROKERS"
	// EnvTLSBrokers: SSL; the broker asks for no client certificate.
	EnvTLSBrokers = "KAFKA_TLS_BROKERS"
	// EnvMTLSBrokers: SSL that requires a client certificate the CA signed.
	EnvMTLSBrokers = "KAFKA_MTLS_BROKERS"
	// EnvSASLTLSBrokers: SASL_SSL, the mechanisms of EnvSASLBrokers over TLS.
	EnvSASLTLSBrokers = "KAFKA_SASL_TLS_BROKERS"
	// EnvSASLUser and EnvSASLPassword: the test user of every mechanism.
	EnvSASLUser     = "KAFKA_SASL_USER"
	EnvSASLPassword = "KAFKA_SASL_PASSWORD"
	// EnvTLSCA: the PEM CA that signed the broker's and the client's certificates.
	EnvTLSCA = "KAFKA_TLS_CA"
	// EnvTLSClientCert and EnvTLSClientKey: the PEM client certificate and key.
	EnvTLSClientCert = "KAFKA_TLS_CLIENT_CERT"
	EnvTLSClientKey  = "KAFKA_TLS_CLIENT_KEY"
)

// Listener is one of the test broker's secured listeners: its seed brokers
// and the settings that connect to it. Tests change Config to see a
// connection fail.
type Listener struct {
	// Name is Kafka's name of the listener: SASL_PLAINTEXT, SSL, MTLS or SASL_SSL.
	Name    string
	Brokers []string
	Config  kafkaopt.Config
}

// SASL returns the SASL_PLAINTEXT listener, with Config logging in as the
// test user with mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512). It
// skips the test when the listener's variables are unset.
func SASL(t testing.TB, mechanism string) Listener {
	t.Helper()
	brokers := brokersFrom(t, EnvSASLBrokers)
	return Listener{Name: "SASL_PLAINTEXT", Brokers: brokers, Config: sasl(t, mechanism)}
}

// TLS returns the SSL listener, with Config trusting the test CA.
func TLS(t testing.TB) Listener {
	t.Helper()
	brokers := brokersFrom(t, EnvTLSBrokers)
	return Listener{Name: "SSL", Brokers: brokers, Config: kafkaopt.Config{CAFile: env(t, EnvTLSCA)}}
}

// MutualTLS returns the listener that requires a client certificate, with
// Config trusting the test CA and presenting the test client certificate.
func MutualTLS(t testing.TB) Listener {
	t.Helper()
	brokers := brokersFrom(t, EnvMTLSBrokers)
	return Listener{Name: "MTLS", Brokers: brokers, Config: kafkaopt.Config{
		CAFile: env(t, EnvTLSCA), CertFile: env(t, EnvTLSClientCert), KeyFile: env(t, EnvTLSClientKey),
	}}
}

// SASLTLS returns the SASL_SSL listener, with Config trusting the test CA
// and logging in as the test user with mechanism.
func SASLTLS(t testing.TB, mechanism string) Listener {
	t.Helper()
	brokers := brokersFrom(t, EnvSASLTLSBrokers)
	c := sasl(t, mechanism)
	c.TLS, c.CAFile = true, env(t, EnvTLSCA)
	return Listener{Name: "SASL_SSL", Brokers: brokers, Config: c}
}

// Listeners returns every secured listener, a SASL listener once per
// mechanism: SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512,
// SSL, MTLS, and SASL_SSL with the three mechanisms.
func Listeners(t testing.TB) []Listener {
	t.Helper()
	mechs := []string{kafkaopt.MechanismPlain, kafkaopt.MechanismSCRAMSHA256, kafkaopt.MechanismSCRAMSHA512}
	var ls []Listener
	for _, m := range mechs {
		ls = append(ls, SASL(t, m))
	}
	ls = append(ls, TLS(t), MutualTLS(t))
	for _, m := range mechs {
		ls = append(ls, SASLTLS(t, m))
	}
	return ls
}

// String names the listener and its SASL mechanism, if any:
// "SASL_SSL/SCRAM-SHA-512", "MTLS".
func (l Listener) String() string {
	if l.Config.SASLMechanism == "" {
		return l.Name
	}
	return l.Name + "/" + l.Config.SASLMechanism
}

// Opts returns l.Config.Opts() and the seed brokers, or fails the test.
func (l Listener) Opts(t testing.TB) []kgo.Opt {
	t.Helper()
	opts, err := l.Config.Opts()
	if err != nil {
		t.Fatalf("kafkatest: %s settings: %v", l.Name, err)
	}
	return append([]kgo.Opt{kgo.SeedBrokers(l.Brokers...)}, opts...)
}

// Client returns a client of the listener (l.Opts plus opts), closed when
// the test ends.
func (l Listener) Client(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append(l.Opts(t), opts...)...)
	if err != nil {
		t.Fatalf("kafkatest: new %s client: %v", l.Name, err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func sasl(t testing.TB, mechanism string) kafkaopt.Config {
	t.Helper()
	return kafkaopt.Config{SASLMechanism: mechanism, SASLUser: env(t, EnvSASLUser), SASLPassword: env(t, EnvSASLPassword)}
}

func brokersFrom(t testing.TB, name string) []string {
	t.Helper()
	return splitBrokers(env(t, name))
}

// env returns the variable's value, or skips the test when it is unset or
// empty.
func env(t testing.TB, name string) string {
	t.Helper()
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		t.Skip("kafkatest: " + name + " is not set; `scripts/kafka.sh up` exports it with the " +
			"broker's TLS/SASL test listeners (docs/KAFKA.md), and `make test` passes it on")
	}
	return v
}
