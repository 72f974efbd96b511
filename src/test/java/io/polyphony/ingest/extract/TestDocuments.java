package io.polyphony.ingest.extract;

import io.polyphony.ingest.testing.Zips;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.common.PDStream;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.apache.poi.openxml4j.opc.OPCPackage;
import org.apache.poi.openxml4j.opc.PackageAccess;
import org.apache.poi.poifs.crypt.EncryptionInfo;
import org.apache.poi.poifs.crypt.EncryptionMode;
import org.apache.poi.poifs.crypt.Encryptor;
import org.apache.poi.poifs.filesystem.POIFSFileSystem;
import org.apache.poi.xslf.usermodel.XMLSlideShow;
import org.apache.poi.xslf.usermodel.XSLFTextBox;
import org.apache.poi.xssf.usermodel.XSSFWorkbook;
import org.apache.poi.xwpf.usermodel.XWPFDocument;

/** Real files in many formats, made by the libraries that write them (POI, PDFBox) or by hand to spec. */
public final class TestDocuments {

    private TestDocuments() {
    }

    public static Path text(Path dir, String name, String text, Charset cs) throws IOException {
        return Files.write(dir.resolve(name), text.getBytes(cs));
    }

    public static Path docx(Path dir, String name, String... paragraphs) throws IOException {
        try (XWPFDocument d = new XWPFDocument(); OutputStream out = Files.newOutputStream(dir.resolve(name))) {
            for (String p : paragraphs) {
                d.createParagraph().createRun().setText(p);
            }
            d.write(out);
        }
        return dir.resolve(name);
    }

    public static Path pptx(Path dir, String name, String... slides) throws IOException {
        try (XMLSlideShow ss = new XMLSlideShow(); OutputStream out = Files.newOutputStream(dir.resolve(name))) {
            for (String s : slides) {
                XSLFTextBox box = ss.createSlide().createTextBox();
                box.setText(s);
            }
            ss.write(out);
        }
        return dir.resolve(name);
    }

    public static Path xlsx(Path dir, String name, String... cells) throws IOException {
        try (XSSFWorkbook wb = new XSSFWorkbook(); OutputStream out = Files.newOutputStream(dir.resolve(name))) {
            var sheet = wb.createSheet("Budget");
            for (int i = 0; i < cells.length; i++) {
                sheet.createRow(i).createCell(0).setCellValue(cells[i]);
            }
            wb.write(out);
        }
        return dir.resolve(name);
    }

    public static Path pdf(Path dir, String name, String userPassword, String... lines) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            PDPage page = new PDPage();
            doc.addPage(page);
            try (PDPageContentStream cs = new PDPageContentStream(doc, page)) {
                cs.beginText();
                cs.setFont(new PDType1Font(Standard14Fonts.FontName.HELVETICA), 12);
                cs.newLineAtOffset(50, 700);
                for (String l : lines) {
                    cs.showText(l);
                    cs.newLineAtOffset(0, -16);
                }
                cs.endText();
            }
            if (userPassword != null) {
                StandardProtectionPolicy p = new StandardProtectionPolicy("owner-" + userPassword, userPassword, new AccessPermission());
                p.setEncryptionKeyLength(128);
                doc.protect(p);
            }
            doc.save(dir.resolve(name).toFile());
        }
        return dir.resolve(name);
    }

    /**
     * A decompression bomb: a small PDF whose page content stream inflates to {@code inflatedBytes}, almost all of it one
     * string operand, which a parser has to hold whole.
     */
    public static Path pdfBomb(Path dir, String name, long inflatedBytes) throws IOException {
        byte[] head = "BT /F1 12 Tf 50 700 Td (".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ") Tj ET\n".getBytes(StandardCharsets.US_ASCII);
        InputStream filler = new InputStream() {
            long left = inflatedBytes;

            @Override
            public int read() {
                return left-- > 0 ? 'A' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(len, left);
                java.util.Arrays.fill(b, off, off + n, (byte) 'A');
                left -= n;
                return n;
            }
        };
        try (PDDocument doc = new PDDocument();
             InputStream content = new SequenceInputStream(java.util.Collections.enumeration(List.of(
                     new ByteArrayInputStream(head), filler, new ByteArrayInputStream(tail))))) {
            PDPage page = new PDPage();
            doc.addPage(page);
            page.setContents(new PDStream(doc, content, COSName.FLATE_DECODE));
            doc.save(dir.resolve(name).toFile());
        }
        return dir.resolve(name);
    }

    /** A PDF with an XFA form: {@code doctype} goes before the XDP root, {@code caption} into a field's caption. */
    public static Path xfaPdf(Path dir, String name, String doctype, String caption) throws IOException {
        String xdp = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + doctype + "\n"
                + "<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"><template xmlns=\"http://www.xfa.org/schema/xfa-template/3.3/\">"
                + "<subform name=\"form1\"><field name=\"f\"><caption><value><text>" + caption + "</text></value></caption>"
                + "</field></subform></template><xfa:datasets xmlns:xfa=\"http://www.xfa.org/schema/xfa-data/1.0/\"><xfa:data>"
                + "<form1><f>budget review field value</f></form1></xfa:data></xfa:datasets></xdp:xdp>";
        try (PDDocument doc = new PDDocument()) {
            doc.addPage(new PDPage());
            org.apache.pdfbox.pdmodel.interactive.form.PDAcroForm form = new org.apache.pdfbox.pdmodel.interactive.form.PDAcroForm(doc);
            doc.getDocumentCatalog().setAcroForm(form);
            org.apache.pdfbox.cos.COSStream stream = doc.getDocument().createCOSStream();
            try (OutputStream out = stream.createOutputStream()) {
                out.write(xdp.getBytes(StandardCharsets.UTF_8));
            }
            form.setXFA(new org.apache.pdfbox.pdmodel.interactive.form.PDXFAResource(stream));
            doc.save(dir.resolve(name).toFile());
        }
        return dir.resolve(name);
    }

    /** An Excel 97 workbook (OLE2) with one cell and a file embedded as an OLE package. */
    public static Path xlsWithEmbedded(Path dir, String name, String cell, byte[] embedded, String embeddedName)
            throws IOException {
        try (org.apache.poi.hssf.usermodel.HSSFWorkbook wb = new org.apache.poi.hssf.usermodel.HSSFWorkbook()) {
            wb.createSheet("Sheet1").createRow(0).createCell(0).setCellValue(cell);
            int id = wb.addOlePackage(embedded, embeddedName, embeddedName, embeddedName);
            org.apache.poi.hssf.usermodel.HSSFPatriarch patriarch = wb.getSheetAt(0).createDrawingPatriarch();
            int picture = wb.addPicture(pngBytes(), org.apache.poi.ss.usermodel.Workbook.PICTURE_TYPE_PNG);
            patriarch.createObjectData(new org.apache.poi.hssf.usermodel.HSSFClientAnchor(0, 0, 0, 0, (short) 1, 1, (short) 3, 5),
                    id, picture);
            try (OutputStream out = Files.newOutputStream(dir.resolve(name))) {
                wb.write(out);
            }
        }
        return dir.resolve(name);
    }

    /** A PDF with a page but no text at all, like a scan without OCR. */
    public static Path pdfWithoutText(Path dir, String name) throws IOException {
        try (PDDocument doc = new PDDocument()) {
            doc.addPage(new PDPage());
            doc.save(dir.resolve(name).toFile());
        }
        return dir.resolve(name);
    }

    public static Path encryptedDocx(Path dir, String name, String password) throws Exception {
        Path plain = docx(dir, name + ".plain.docx", "secret board minutes");
        try (POIFSFileSystem fs = new POIFSFileSystem()) {
            Encryptor enc = new EncryptionInfo(EncryptionMode.agile).getEncryptor();
            enc.confirmPassword(password);
            try (OPCPackage opc = OPCPackage.open(plain.toFile(), PackageAccess.READ_WRITE); OutputStream os = enc.getDataStream(fs)) {
                opc.save(os);
            }
            try (OutputStream out = Files.newOutputStream(dir.resolve(name))) {
                fs.writeFilesystem(out);
            }
        }
        Files.delete(plain);
        return dir.resolve(name);
    }

    public static Path odt(Path dir, String name, String text) throws IOException {
        String content = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\""
                + " xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\">"
                + "<office:body><office:text><text:p>" + text + "</text:p></office:text></office:body></office:document-content>";
        String manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\">"
                + "<manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>"
                + "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>"
                + "</manifest:manifest>";
        return zip(dir.resolve(name), "mimetype", "application/vnd.oasis.opendocument.text",
                "content.xml", content, "META-INF/manifest.xml", manifest);
    }

    /**
     * An OpenDocument text saved with a password, as LibreOffice writes one: content.xml is ciphertext (random bytes
     * here) and the manifest, which stays plain, declares it encrypted ({@code manifest:encryption-data}).
     */
    public static Path encryptedOdt(Path dir, String name) throws IOException {
        byte[] cipher = new byte[2048];
        new java.util.Random(7).nextBytes(cipher);
        String manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\">"
                + "<manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>"
                + "<manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\" manifest:size=\"4096\">"
                + "<manifest:encryption-data manifest:checksum-type=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k\""
                + " manifest:checksum=\"AAAA\"><manifest:algorithm manifest:algorithm-name=\"http://www.w3.org/2001/04/xmlenc#aes256-cbc\""
                + " manifest:initialisation-vector=\"AAAA\"/><manifest:key-derivation manifest:key-derivation-name=\"PBKDF2\""
                + " manifest:key-size=\"32\" manifest:iteration-count=\"100000\" manifest:salt=\"AAAA\"/>"
                + "</manifest:encryption-data></manifest:file-entry></manifest:manifest>";
        Path file = dir.resolve(name);
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(file))) {
            Zips.stored(zip, "mimetype", "application/vnd.oasis.opendocument.text".getBytes(StandardCharsets.US_ASCII));
            zip.putNextEntry(new java.util.zip.ZipEntry("content.xml"));
            zip.write(cipher);
            zip.closeEntry();
            zip.putNextEntry(new java.util.zip.ZipEntry("META-INF/manifest.xml"));
            zip.write(manifest.getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        return file;
    }

    public static Path epub(Path dir, String name, String text) throws IOException {
        String container = "<?xml version=\"1.0\"?><container version=\"1.0\" xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\">"
                + "<rootfiles><rootfile full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/></rootfiles></container>";
        String opf = "<?xml version=\"1.0\"?><package xmlns=\"http://www.idpf.org/2007/opf\" version=\"2.0\" unique-identifier=\"id\">"
                + "<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>Notes</dc:title><dc:identifier id=\"id\">x</dc:identifier></metadata>"
                + "<manifest><item id=\"c1\" href=\"chapter1.xhtml\" media-type=\"application/xhtml+xml\"/></manifest>"
                + "<spine><itemref idref=\"c1\"/></spine></package>";
        String chapter = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><head><title>c</title></head>"
                + "<body><p>" + text + "</p></body></html>";
        return zip(dir.resolve(name), "mimetype", "application/epub+zip", "META-INF/container.xml", container,
                "OEBPS/content.opf", opf, "OEBPS/chapter1.xhtml", chapter);
    }

    public static Path png(Path dir, String name) throws IOException {
        return Files.write(dir.resolve(name), pngBytes());
    }

    private static byte[] pngBytes() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB), "png", out);
        return out.toByteArray();
    }

    /** An ELF executable header followed by machine-code-like bytes. */
    public static Path executable(Path dir, String name) throws IOException {
        byte[] b = new byte[4096];
        new java.util.Random(3).nextBytes(b);
        byte[] elf = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0};
        System.arraycopy(elf, 0, b, 0, elf.length);
        return Files.write(dir.resolve(name), b);
    }

    /** A DOCX-shaped zip whose document part inflates to {@code expandedBytes} of spaces and a few words. */
    public static Path zipBombDocx(Path dir, String name, long expandedBytes) throws IOException {
        Path file = dir.resolve(name);
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            zip.putNextEntry(new ZipEntry("[Content_Types].xml"));
            zip.write(("<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
                    + "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>"
                    + "</Types>").getBytes(StandardCharsets.UTF_8));
            zip.putNextEntry(new ZipEntry("word/document.xml"));
            byte[] spaces = new byte[1 << 20];
            java.util.Arrays.fill(spaces, (byte) ' ');
            for (long written = 0; written < expandedBytes; written += spaces.length) {
                zip.write(spaces);
            }
            zip.closeEntry();
        }
        return file;
    }

    private static Path zip(Path file, String... namesAndContents) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (int i = 0; i < namesAndContents.length; i += 2) {
                byte[] data = namesAndContents[i + 1].getBytes(StandardCharsets.UTF_8);
                if (i == 0) { // ODF and EPUB want their mimetype first and stored
                    Zips.stored(zip, namesAndContents[i], data);
                    continue;
                }
                zip.putNextEntry(new ZipEntry(namesAndContents[i]));
                zip.write(data);
                zip.closeEntry();
            }
        }
        return Files.write(file, bytes.toByteArray());
    }
}
