package tui

import (
	"strings"

	"github.com/datalayer-tool/datalayer/engine"
)

// bannerView says who we are acting as and where, before anything else.
func (m *Model) bannerView() string {
	st := m.c.styles
	info := m.run.Info
	var lines []string
	if info.Production {
		bar := "PRODUCTION · stack " + info.Stack + " · every change here reaches real users"
		lines = append(lines, st.Production.Width(m.width).Render(truncate(bar, m.width-2)))
	}
	tag := st.Staging.Render("[" + envName(info) + "]")
	if info.Rehearsal {
		tag = st.Rehearsal.Render("REHEARSAL")
	} else if info.Production {
		tag = st.Production.Render("PRODUCTION")
	}
	title := st.TitleBar.Render("datalayer "+info.Runbook) + st.Muted.Render(" · stack ") +
		st.Value.Render(info.Stack) + st.Muted.Render(" · run "+info.RunID)
	lines = append(lines, tag+" "+title)

	id := info.Identity
	if id == nil {
		lines = append(lines, st.StepWaiting.Render("identity not checked yet: the first step asks AWS who we are"), "")
		return strings.Join(lines, "\n")
	}
	kv := func(k, v string) string { return st.Key.Render(k+" ") + st.Value.Render(v) }
	sep := st.Muted.Render(" · ")
	lines = append(lines, kv("account", id.Account)+sep+kv("as", principal(id.ARN)))
	second := kv("credentials", firstNonEmpty(id.CredentialSource, "unknown"))
	if id.Profile != "" {
		second += sep + kv("profile", id.Profile)
	}
	second += sep + kv("region", firstNonEmpty(id.Region, "unset"))
	if id.Endpoint != "" {
		second += sep + kv("endpoint", id.Endpoint)
	}
	lines = append(lines, second)
	return strings.Join(lines, "\n")
}

func envName(info engine.RunInfo) string {
	if info.Production {
		return "production"
	}
	return "non-production"
}
