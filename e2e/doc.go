// Package e2e drives the built datalayer binary the way a person would: in a
// real terminal (tmux), typing answers and reading the screen.
package e2e
