package portfolio

import (
	"encoding/hex"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
)

func hexDecodeLower(s string) ([]byte, error) { return hex.DecodeString(strings.ToLower(s)) }

func btcutilP2WPKH(compressed []byte, net *chaincfg.Params) (string, error) {
	a, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(compressed), net)
	if err != nil {
		return "", err
	}
	return a.EncodeAddress(), nil
}
