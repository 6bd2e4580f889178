package portfolio

// PUBLIC TEST KEYS. Their private keys derive from the BIP39 test mnemonic
// "abandon abandon abandon abandon abandon abandon abandon abandon abandon
// abandon abandon about", which everybody knows: coins sent to their
// addresses can be taken by anyone. They exist for development, tests and
// examples only. NEVER use them in production; configure the account-level
// extended public key of a wallet you control instead.
const (
	// DevBitcoinZpub is the BIP84 test vector account key, m/84'/0'/0' of
	// the test mnemonic (mainnet, native segwit). Its first receive address
	// (0/0) is bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu. PUBLIC TEST KEY,
	// never for production.
	DevBitcoinZpub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"

	// DevEthereumXpub is the account key m/44'/60'/0' of the test mnemonic
	// with an empty passphrase. Its first address (0/0) is
	// 0x9858EfFD232B4033E47d90003D41EC34EcaEda94. PUBLIC TEST KEY, never for
	// production.
	DevEthereumXpub = "xpub6DCoCpSuQZB2jawqnGMEPS63ePKWkwWPH4TU45Q7LPXWuNd8TMtVxRrgjtEshuqpK3mdhaWHPFsBngh5GFZaM6si3yZdUsT8ddYM3PwnATt"
)
