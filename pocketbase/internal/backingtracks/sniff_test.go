package backingtracks

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// wav builds a PCM WAV header: rate, channels, 16-bit, with `frames` frames of silence.
func wav(rate, channels, frames int) []byte {
	var b bytes.Buffer
	data := frames * channels * 2
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(channels), uint32(rate),
		uint32(rate * channels * 2), uint16(channels * 2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data))
	b.Write(make([]byte, data))
	return b.Bytes()
}

func flac(rate int, total int64) []byte {
	b := []byte("fLaC")
	b = append(b, 0x80, 0, 0, 34) // last block, STREAMINFO, length 34
	s := make([]byte, 34)
	s[10] = byte(rate >> 12)
	s[11] = byte(rate >> 4)
	s[12] = byte(rate<<4) | 0x02 // + 2 channels-1 bits
	s[13] = byte(total >> 32 & 0x0f)
	binary.BigEndian.PutUint32(s[14:18], uint32(total))
	return append(b, s...)
}

func ogg(packet string) []byte {
	page := append([]byte("OggS"), make([]byte, 22)...)
	page = append(page, 1, byte(len(packet)))
	return append(page, packet...)
}

func TestSniffAcceptsTheFourFormatsByContent(t *testing.T) {
	id3 := append([]byte("ID3\x04\x00\x00\x00\x00\x00\x05"), []byte("xxxxx")...)
	frame := []byte{0xff, 0xfb, 0x90, 0x64}
	cases := []struct {
		name string
		data []byte
		want Info
	}{
		{"wav", wav(48000, 2, 96000), Info{Format: FormatWAV, SampleRate: 48000, DurationMs: 2000}},
		{"flac", flac(44100, 44100*3), Info{Format: FormatFLAC, SampleRate: 44100, DurationMs: 3000}},
		{"ogg opus", ogg("OpusHead\x01\x02"), Info{Format: FormatOgg}},
		{"ogg vorbis", ogg("\x01vorbis\x00\x00"), Info{Format: FormatOgg}},
		{"mp3 frame", append(frame, make([]byte, 400)...), Info{Format: FormatMP3}},
		{"mp3 after id3", append(append(id3, frame...), make([]byte, 400)...), Info{Format: FormatMP3}},
	}
	for _, c := range cases {
		got, ok := Sniff(bytes.NewReader(c.data))
		if !ok || got != c.want {
			t.Errorf("%s: got %+v ok=%v, want %+v", c.name, got, ok, c.want)
		}
	}
}

func TestSniffRefusesWhatIsNotAudioWhateverItsName(t *testing.T) {
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00"), make([]byte, 200)...)
	avi := append([]byte("RIFF\x00\x00\x00\x00AVI LIST"), make([]byte, 50)...)
	cases := map[string][]byte{
		"empty":              {},
		"windows executable": exe,
		"riff avi":           avi,
		"ogg theora":         ogg("\x80theora\x00\x00"),
		"ogg flac":           ogg("\x7fFLAC\x01\x00"),
		"id3 then junk":      append([]byte("ID3\x04\x00\x00\x00\x00\x00\x02xx"), []byte("<html>")...),
		"mpeg layer ii":      {0xff, 0xfd, 0x90, 0x64},
		"html":               []byte("<!doctype html><script>alert(1)</script>"),
		"wav without fmt":    []byte("RIFF\x10\x00\x00\x00WAVEdata\x00\x00\x00\x00"),
	}
	for name, data := range cases {
		if info, ok := Sniff(bytes.NewReader(data)); ok {
			t.Errorf("%s: accepted as %+v", name, info)
		}
	}
}

func TestMegabytesReadsLikeAFileManager(t *testing.T) {
	for n, want := range map[int64]string{72 << 20: "72 MB", 50 << 20: "50 MB", 1536 << 10: "1.5 MB", 1 << 20: "1 MB"} {
		if got := megabytes(n); got != want {
			t.Errorf("megabytes(%d) = %q, want %q", n, got, want)
		}
	}
}
