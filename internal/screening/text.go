package screening

import "huhang/internal/langtext"

// DefaultLang is the language every instrument must provide, and the one
// shown when the requested language is missing: the platform serves Chinese
// schools first.
const DefaultLang = langtext.DefaultLang

// Text is one piece of text in several languages, keyed by language tag
// ("zh-CN", "en"); see langtext.Text.In for the fallback.
type Text = langtext.Text
