extension String {
    /// The text before the first NUL of a C character buffer (`gethostname`, libhdf5's name and error
    /// buffers); invalid UTF-8 becomes U+FFFD. The buffer need not contain a NUL.
    public init(nulTerminated buffer: [CChar]) {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
