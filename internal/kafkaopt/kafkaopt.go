// Package kafkaopt turns Kafka security settings (TLS, SASL PLAIN and
// SCRAM) into franz-go options, and registers them as command-line flags.
// The engine, the worker and replay take the resulting []kgo.Opt as they
// are; nothing here wraps the Kafka client.
//
// Flags (Register):
//
//	--kafka-tls            connect to the brokers with TLS (default off)
//	--kafka-ca FILE        PEM CA bundle to verify the brokers (default: the system roots); implies --kafka-tls
//	--kafka-cert FILE      PEM client certificate for mutual TLS (needs --kafka-key); implies --kafka-tls
//	--kafka-key FILE       PEM private key of --kafka-cert; implies --kafka-tls
//	--kafka-tls-insecure   skip verifying the brokers' certificates (testing only); implies --kafka-tls
//	--kafka-sasl MECH      SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default none)
//	--kafka-user USER      SASL user (env FUGUE_KAFKA_USER)
//	--kafka-password PASS  SASL password (env FUGUE_KAFKA_PASSWORD; prefer the
//	                       environment, which does not show in ps)
package kafkaopt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// SASL mechanisms Config.SASLMechanism accepts (case does not matter).
const (
	MechanismPlain       = "PLAIN"
	MechanismSCRAMSHA256 = "SCRAM-SHA-256"
	MechanismSCRAMSHA512 = "SCRAM-SHA-512"
)

// Environment variables Register reads defaults from.
const (
	EnvUser     = "FUGUE_KAFKA_USER"
	EnvPassword = "FUGUE_KAFKA_PASSWORD"
)

// Config holds Kafka security settings. The zero value is a plaintext,
// unauthenticated connection and yields no options.
type Config struct {
	// TLS connects with TLS. CAFile, CertFile, KeyFile and
	// InsecureSkipVerify imply it.
	TLS bool
	// CAFile is a PEM bundle of the CAs that sign the brokers' certificates
	// (default: the system roots).
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for
	// brokers that require mutual TLS (default: none). Both or neither.
	CertFile, KeyFile string
	// InsecureSkipVerify accepts any broker certificate (default false; for
	// tests only).
	InsecureSkipVerify bool
	// SASLMechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default "":
	// no SASL).
	SASLMechanism string
	// SASLUser and SASLPassword are the SASL credentials; SASLUser is
	// required with a mechanism.
	SASLUser, SASLPassword string
}

// TLSEnabled reports whether the settings ask for TLS.
func (c Config) TLSEnabled() bool {
	return c.TLS || c.CAFile != "" || c.CertFile != "" || c.KeyFile != "" || c.InsecureSkipVerify
}

// Opts returns the franz-go options for the settings: kgo.DialTLSConfig
// when TLS is on, kgo.SASL when a mechanism is set; none for the zero
// Config.
func (c Config) Opts() ([]kgo.Opt, error) {
	var opts []kgo.Opt
	tc, err := c.TLSConfig()
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	mech, err := c.mechanism()
	if err != nil {
		return nil, err
	}
	if mech != nil {
		opts = append(opts, kgo.SASL(mech))
	}
	return opts, nil
}

// TLSConfig returns the TLS configuration Opts dials with, or nil when TLS
// is off: TLS 1.2 or later, the CA file's certificates as roots (else the
// system's), the client certificate if one is given. ServerName is left
// empty: franz-go sets it to each broker's host.
func (c Config) TLSConfig() (*tls.Config, error) {
	if !c.TLSEnabled() {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // opt-in, documented as for tests
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafkaopt: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafkaopt: CA file %s holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	switch {
	case c.CertFile != "" && c.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafkaopt: client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	case c.CertFile != "" || c.KeyFile != "":
		return nil, errors.New("kafkaopt: a client certificate needs both a certificate file and a key file")
	}
	return tc, nil
}

func (c Config) mechanism() (sasl.Mechanism, error) {
	m := strings.ToUpper(strings.TrimSpace(c.SASLMechanism))
	if m == "" {
		if c.SASLUser != "" || c.SASLPassword != "" {
			return nil, errors.New("kafkaopt: SASL credentials given without a mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
		}
		return nil, nil
	}
	if c.SASLUser == "" {
		return nil, fmt.Errorf("kafkaopt: SASL %s needs a user", m)
	}
	switch m {
	case MechanismPlain:
		return plain.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsMechanism(), nil
	case MechanismSCRAMSHA256:
		return scram.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsSha256Mechanism(), nil
	case MechanismSCRAMSHA512:
		return scram.Auth{User: c.SASLUser, Pass: c.SASLPassword}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("kafkaopt: unknown SASL mechanism %q (want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", c.SASLMechanism)
}

// Permanent reports whether err is one that retrying with the same
// settings cannot fix: a Kafka error that is not retriable (a failed SASL
// authentication, missing rights, a topic setting the broker refuses), or
// this client refusing a broker's certificate (no or the wrong CA, a
// certificate for another host, an expired one). The engine and the worker
// stop with such an error at start-up instead of retrying. A broker that
// refuses the client's certificate is not recognised: Go reports it only
// as a TLS alert.
func Permanent(err error) bool {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return !ke.Retriable
	}
	var ce *tls.CertificateVerificationError
	return errors.As(err, &ce)
}

// Register adds the --kafka-* flags to fs and returns the Config they fill
// once fs is parsed. env supplies the defaults of --kafka-user and
// --kafka-password (FUGUE_KAFKA_USER, FUGUE_KAFKA_PASSWORD); the password's
// default is never printed in the usage.
func Register(fs *flag.FlagSet, env func(string) string) *Config {
	c := &Config{SASLPassword: env(EnvPassword)}
	fs.BoolVar(&c.TLS, "kafka-tls", false, "connect to Kafka with TLS")
	fs.StringVar(&c.CAFile, "kafka-ca", "", "PEM CA bundle that signs the Kafka brokers' certificates (default the system roots; implies --kafka-tls)")
	fs.StringVar(&c.CertFile, "kafka-cert", "", "PEM client certificate for Kafka mutual TLS (with --kafka-key; implies --kafka-tls)")
	fs.StringVar(&c.KeyFile, "kafka-key", "", "PEM private key of --kafka-cert")
	fs.BoolVar(&c.InsecureSkipVerify, "kafka-tls-insecure", false, "do not verify the Kafka brokers' certificates (testing only; implies --kafka-tls)")
	fs.StringVar(&c.SASLMechanism, "kafka-sasl", "", "Kafka SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default none)")
	fs.StringVar(&c.SASLUser, "kafka-user", env(EnvUser), "Kafka SASL user (env "+EnvUser+")")
	fs.Var(secret{&c.SASLPassword}, "kafka-password", "Kafka SASL `password` (prefer env "+EnvPassword+", which stays out of ps)")
	return c
}

// secret is a string flag whose value the usage never shows.
type secret struct{ p *string }

func (s secret) String() string {
	return ""
}

func (s secret) Set(v string) error {
	*s.p = v
	return nil
}
