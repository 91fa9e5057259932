// Package archtest holds no code, only a test that keeps the layout of
// shdmc true: every internal package imports only packages of a lower
// layer (docs/ARCHITECTURE.md), only poll runs detection, and the
// dependency picture in docs/ARCHITECTURE.md is the one go list gives.
package archtest
