package io.polyphony.ingest.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.polyphony.ingest.roomindex.RedisInfo;
import io.polyphony.ingest.testing.RedisTestServer;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import redis.clients.jedis.RedisClient;

/**
 * The operator's console in a real browser: Debian's Chromium, headless, driven by Selenium through Debian's
 * chromedriver (both installed by {@code .ci/run}; nothing downloaded at run time), against a real server with an API
 * key, real Redis, H2 and the model. Every scenario saves a screenshot under {@code target/}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.datasource.url=jdbc:h2:mem:console;DB_CLOSE_DELAY=-1", "polyphony.api-key=console-key",
        "polyphony.ingest.max-chunks-per-file=40"})
@DirtiesContext
class ConsoleIT {

    static final String KEY = "console-key";
    static final Path ROOT = temp();
    static WebDriver browser;

    static Path temp() {
        try {
            return Files.createTempDirectory("polyphony-console");
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        r.add("polyphony.redis.url", () -> "redis://127.0.0.1:" + RedisTestServer.port());
        r.add("polyphony.data-dir", () -> ROOT.resolve("data").toString());
        r.add("polyphony.jobs-dir", () -> ROOT.resolve("jobs").toString());
    }

    @BeforeAll
    static void openBrowser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1280,800", "--user-data-dir=" + temp());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().window().setSize(new Dimension(1280, 800));
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @LocalServerPort
    int port;

    final String room = "console" + UUID.randomUUID().toString().substring(0, 6);

    @BeforeEach
    void freshTab() {
        browser.get("http://127.0.0.1:" + port + "/");
        ((JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
        browser.manage().window().setSize(new Dimension(1280, 800));
        browser.navigate().refresh();
    }

    private WebDriverWait waiting(int seconds) {
        return new WebDriverWait(browser, Duration.ofSeconds(seconds));
    }

    private void screenshot(String name) throws IOException {
        Path png = Path.of("target", "console-" + name + ".png");
        Files.createDirectories(png.getParent());
        Files.write(png, ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    private void logIn() {
        WebElement key = waiting(10).until(ExpectedConditions.visibilityOfElementLocated(By.id("key")));
        key.sendKeys(KEY, Keys.ENTER);
        waiting(20).until(ExpectedConditions.visibilityOfElementLocated(By.id("memory")));
        waiting(20).until(d -> !d.findElement(By.id("memory-text")).getText().equals("–"));
    }

    private Path file(String name, String text) throws IOException {
        Path dir = Files.createDirectories(ROOT.resolve("to-upload"));
        return Files.writeString(dir.resolve(name), text, UTF_8);
    }

    /** Uploads the files through the page; returns the executions the page reports. */
    private List<String> upload(Path... files) {
        WebElement roomField = browser.findElement(By.id("upload-room"));
        roomField.clear();
        roomField.sendKeys(room);
        browser.findElement(By.id("upload-files")).sendKeys(String.join("\n",
                java.util.Arrays.stream(files).map(p -> p.toAbsolutePath().toString()).toList()));
        browser.findElement(By.id("upload-submit")).click();
        waiting(60).until(d -> d.findElements(By.cssSelector("#upload-list li[data-status]")).size() >= files.length);
        return browser.findElements(By.cssSelector("#upload-list li[data-execution]")).stream()
                .map(li -> li.getDomAttribute("data-execution")).toList();
    }

    private void awaitRunStatus(String execution, String status) {
        waiting(180).until(d -> d.findElements(By.cssSelector("#runs-table tr[data-execution='" + execution
                + "'] td[data-status='" + status + "']")).size() == 1);
    }

    @Test
    void withoutTheKeyTheConsoleAsksForItAndShowsNothingElse() throws IOException {
        WebElement form = waiting(10).until(ExpectedConditions.visibilityOfElementLocated(By.id("login")));
        assertThat(form.isDisplayed()).isTrue();
        assertThat(browser.findElement(By.id("console")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("nav")).isDisplayed()).isFalse();
        browser.findElement(By.id("key")).sendKeys("not-the-key", Keys.ENTER);
        WebElement error = waiting(10).until(ExpectedConditions.visibilityOfElementLocated(By.id("login-error")));
        waiting(10).until(d -> error.getText().contains("refused"));
        assertThat(browser.findElement(By.id("console")).isDisplayed()).isFalse();
        assertThat(browser.getPageSource()).doesNotContain("usedMemoryMb");
        screenshot("no-key");
    }

    @Test
    void uploadTwoFilesWatchTheRunsCompleteSearchAndDeleteTheRoom() throws Exception {
        logIn();
        screenshot("overview");
        Path lisbon = file("lisbon-office.md", "# Lisbon office\n\nThe Lisbon office lease runs out in March; the team"
                + " compared three buildings near the river and chose the one with the larger meeting rooms.\n");
        Path hiring = file("hiring-plan.md", "# Hiring plan\n\nTwo engineers and a designer join in the spring; the"
                + " interviews start next week and every candidate meets the whole team.\n");
        List<String> executions = upload(lisbon, hiring);
        assertThat(executions).hasSize(2);
        for (String e : executions) {
            awaitRunStatus(e, "COMPLETED");
        }
        screenshot("runs-completed");
        ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0)");
        screenshot("readme"); // docs/console.png is one of these

        // the new room in the table; opened with the keyboard
        WebElement row = waiting(30).until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#rooms-table tr[data-room='" + room + "']")));
        row.sendKeys(Keys.ENTER);
        waiting(10).until(ExpectedConditions.visibilityOfElementLocated(By.id("room-detail")));
        waiting(20).until(d -> d.findElements(By.cssSelector("#room-docs tr[data-file]")).size() == 2);
        browser.findElement(By.id("search-q")).sendKeys("which building did we pick for the office by the river?", Keys.ENTER);
        WebElement first = waiting(30).until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#search-results li:first-child")));
        assertThat(first.getDomAttribute("data-file")).isEqualTo("lisbon-office.md");
        screenshot("search");

        // readable in a narrow window: nothing wider than the window but the tables' own scrolling
        browser.manage().window().setSize(new Dimension(480, 900));
        Long overflow = (Long) ((JavascriptExecutor) browser).executeScript(
                "return document.documentElement.scrollWidth - window.innerWidth");
        assertThat(overflow).isLessThanOrEqualTo(1L);
        screenshot("narrow");
        browser.manage().window().setSize(new Dimension(1280, 800));

        browser.findElement(By.id("room-delete")).click();
        browser.switchTo().alert().accept();
        waiting(30).until(d -> d.findElements(By.cssSelector("#rooms-table tr[data-room='" + room + "']")).isEmpty());
        screenshot("deleted");
    }

    @Test
    void aFileThatFailedShowsItsReasonAndRetryingItSucceeds() throws Exception {
        logIn();
        RedisClient redis = RedisTestServer.client();
        long used = RedisInfo.of(redis, "memory").number("used_memory");
        List<String> executions;
        try {
            // Redis just about full: the memory budget (80 % of maxmemory) refuses the document, a passing cause
            redis.configSet("maxmemory", Long.toString(used + 64 * 1024));
            executions = upload(file("budget-notes.md", "# Budget notes\n\nThe budget review moved to Friday.\n"));
            awaitRunStatus(executions.get(0), "COMPLETED");
        } finally {
            redis.configSet("maxmemory", "0");
        }
        browser.findElement(By.cssSelector("#runs-table tr[data-execution='" + executions.get(0) + "']")).click();
        WebElement reason = waiting(20).until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#run-files tr[data-file='budget-notes.md'] td.reason")));
        assertThat(reason.getText()).isEqualTo("memory_budget");
        screenshot("failed-file");

        WebElement retry = waiting(10).until(ExpectedConditions.elementToBeClickable(By.id("run-retry")));
        retry.click();
        WebElement message = waiting(20).until(d -> {
            WebElement m = d.findElement(By.id("run-message"));
            return m.getText().startsWith("retrying the failed files: execution ") ? m : null;
        });
        String retryExecution = message.getText().replaceAll("\\D+", "");
        awaitRunStatus(retryExecution, "COMPLETED");
        WebElement outcome = waiting(20).until(ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#run-files tr[data-file='budget-notes.md'] td.INGESTED")));
        assertThat(outcome.getText()).isEqualTo("INGESTED");
        screenshot("retried");
    }
}
