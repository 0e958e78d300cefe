package rdssim

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/datalayer-tool/datalayer/clock"
)

func benchSim(b *testing.B, instances int) *Sim {
	s := must(New(Options{Clock: clock.NewManual(t0)}))
	s.Mutate(func(w *World) {
		base := w.Instance(DefaultInstanceID)
		for i := 1; i < instances; i++ {
			c := *base
			c.ID = fmt.Sprintf("app%07d", i)
			w.Instances = append(w.Instances, &c)
		}
	})
	return s
}

// BenchmarkDescribeDBInstancesHandler measures the simulator alone: parse the
// form, advance the world, render the XML for one instance.
func BenchmarkDescribeDBInstancesHandler(b *testing.B) {
	for _, n := range []int{1, 20} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			s := benchSim(b, n)
			body := "Action=DescribeDBInstances&Version=2014-10-31"
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Body.String())
				}
			}
		})
	}
}

// BenchmarkDescribeDBInstancesSDK measures one DescribeDBInstances call of
// the real SDK client against the simulator over loopback HTTP.
func BenchmarkDescribeDBInstancesSDK(b *testing.B) {
	s := benchSim(b, 1)
	e := newEnvFor(b, s, nil, "AKIDBENCH", 1)
	ctx := context.Background()
	in := &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(DefaultInstanceID)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.rds.DescribeDBInstances(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
