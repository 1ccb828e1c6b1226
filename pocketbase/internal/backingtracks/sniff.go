package backingtracks

import (
	"bytes"
	"encoding/binary"
	"io"
)

// Format is an audio container the browser's decodeAudioData plays everywhere Bandmesh runs.
type Format string

const (
	FormatWAV  Format = "wav"
	FormatMP3  Format = "mp3"
	FormatOgg  Format = "ogg"
	FormatFLAC Format = "flac"
)

// Info is what the first bytes tell: the container, and for WAV and FLAC (whose headers state it)
// the sample rate and length. Zero means unknown (MP3 and Ogg would need the whole stream).
type Info struct {
	Format     Format
	SampleRate int
	DurationMs int64
}

// headLen is how much of the file the sniffers read: a WAV's fmt and data headers, a FLAC
// STREAMINFO and an Ogg first page all sit well inside it.
const headLen = 4096

// Sniff judges a file by its content, never by its name or the client's MIME type: a renamed
// executable is refused even as "song.wav". ok is false for anything else.
func Sniff(r io.ReadSeeker) (Info, bool) {
	head := make([]byte, headLen)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF {
		return Info{}, false
	}
	head = head[:n]
	switch {
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WAVE":
		return wavInfo(head)
	case len(head) >= 4 && string(head[0:4]) == "fLaC":
		return flacInfo(head), true
	case len(head) >= 4 && string(head[0:4]) == "OggS":
		return Info{Format: FormatOgg}, oggIsVorbisOrOpus(head)
	case len(head) >= 10 && string(head[0:3]) == "ID3":
		// An ID3v2 tag (often with cover art) precedes the first MPEG frame: skip it and look there.
		size := int64(head[6]&0x7f)<<21 | int64(head[7]&0x7f)<<14 | int64(head[8]&0x7f)<<7 | int64(head[9]&0x7f)
		skip := 10 + size
		if head[5]&0x10 != 0 {
			skip += 10 // footer present
		}
		frame := make([]byte, 4)
		if _, err := r.Seek(skip, io.SeekStart); err != nil {
			return Info{}, false
		}
		if _, err := io.ReadFull(r, frame); err != nil {
			return Info{}, false
		}
		return Info{Format: FormatMP3}, isMP3Frame(frame)
	case len(head) >= 4 && isMP3Frame(head[:4]):
		return Info{Format: FormatMP3}, true
	}
	return Info{}, false
}

// isMP3Frame checks an MPEG audio Layer III frame header: sync bits, a defined version, layer III,
// a bitrate index that is neither free nor bad, a defined sample rate.
func isMP3Frame(h []byte) bool {
	if h[0] != 0xff || h[1]&0xe0 != 0xe0 {
		return false
	}
	version := (h[1] >> 3) & 0x3
	layer := (h[1] >> 1) & 0x3
	bitrate := h[2] >> 4
	rate := (h[2] >> 2) & 0x3
	return version != 1 && layer == 1 && bitrate != 0 && bitrate != 0xf && rate != 3
}

// oggIsVorbisOrOpus looks at the first packet of the first page: a Vorbis identification header or
// OpusHead (Ogg also carries FLAC, Speex, Theora video… which are refused).
func oggIsVorbisOrOpus(h []byte) bool {
	if len(h) < 27 {
		return false
	}
	start := 27 + int(h[26])
	if len(h) < start+8 {
		return false
	}
	packet := h[start:]
	return bytes.HasPrefix(packet, []byte("\x01vorbis")) || bytes.HasPrefix(packet, []byte("OpusHead"))
}

// wavInfo walks the RIFF chunks for `fmt ` (PCM or float, channels, rate, block size) and `data`.
func wavInfo(h []byte) (Info, bool) {
	info := Info{Format: FormatWAV}
	blockAlign := 0
	for off := 12; off+8 <= len(h); {
		id := string(h[off : off+4])
		size := int(binary.LittleEndian.Uint32(h[off+4 : off+8]))
		body := off + 8
		switch id {
		case "fmt ":
			if body+16 > len(h) {
				return Info{}, false
			}
			info.SampleRate = int(binary.LittleEndian.Uint32(h[body+4 : body+8]))
			blockAlign = int(binary.LittleEndian.Uint16(h[body+12 : body+14]))
		case "data":
			if info.SampleRate > 0 && blockAlign > 0 {
				info.DurationMs = int64(size/blockAlign) * 1000 / int64(info.SampleRate)
			}
			return info, info.SampleRate > 0
		}
		off = body + size + size%2 // chunks are padded to even sizes
	}
	// A header longer than the part read: still a WAV, just without a known length.
	return info, info.SampleRate > 0
}

// flacInfo reads STREAMINFO, which the format requires as the first metadata block.
func flacInfo(h []byte) Info {
	info := Info{Format: FormatFLAC}
	if len(h) < 4+4+18 || h[4]&0x7f != 0 {
		return info
	}
	s := h[8:]
	info.SampleRate = int(s[10])<<12 | int(s[11])<<4 | int(s[12])>>4
	total := int64(s[13]&0x0f)<<32 | int64(binary.BigEndian.Uint32(s[14:18]))
	if info.SampleRate > 0 {
		info.DurationMs = total * 1000 / int64(info.SampleRate)
	}
	return info
}
