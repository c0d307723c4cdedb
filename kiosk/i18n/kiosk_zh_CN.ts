<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Kiosk</name>
    <message>
        <location filename="../messages.py" line="113"/>
        <location filename="../messages.py" line="115"/>
        <source>Wrong PIN, please try again</source>
        <translation>密码错误，请重试</translation>
    </message>
    <message>
        <location filename="../render.py" line="88"/>
        <location filename="../screens.py" line="156"/>
        <source>Appointment check-in</source>
        <translation>预约签到</translation>
    </message>
    <message>
        <location filename="../render.py" line="89"/>
        <source>Type your booking code or your ID card number, or hold the booking&apos;s QR code under the scanner</source>
        <translation>请输入预约码或身份证号，或将预约二维码对准扫描口</translation>
    </message>
    <message>
        <location filename="../render.py" line="90"/>
        <source>Check in</source>
        <translation>签到取号</translation>
    </message>
    <message>
        <location filename="../render.py" line="92"/>
        <source>Green channel: staff PIN</source>
        <translation>绿色通道：工作人员确认</translation>
    </message>
    <message>
        <location filename="../render.py" line="92"/>
        <source>Technician PIN</source>
        <translation>技术人员密码</translation>
    </message>
    <message>
        <location filename="../render.py" line="93"/>
        <source>A member of staff enters the PIN</source>
        <translation>请工作人员输入密码</translation>
    </message>
    <message>
        <location filename="../render.py" line="94"/>
        <source>Enter the technician PIN</source>
        <translation>请输入技术人员密码</translation>
    </message>
    <message>
        <location filename="../render.py" line="94"/>
        <source>OK</source>
        <translation>确定</translation>
    </message>
    <message>
        <location filename="../render.py" line="101"/>
        <source>Hall: %1</source>
        <translation>大厅：%1</translation>
    </message>
    <message>
        <location filename="../render.py" line="102"/>
        <source>Hall server: %1</source>
        <translation>叫号服务器：%1</translation>
    </message>
    <message>
        <location filename="../render.py" line="103"/>
        <source>Queue database: %1</source>
        <translation>排队数据库：%1</translation>
    </message>
    <message>
        <location filename="../render.py" line="104"/>
        <source>Printer: %1</source>
        <translation>打印机：%1</translation>
    </message>
    <message>
        <location filename="../render.py" line="108"/>
        <source>This menu closes by itself after %1 s without a touch.</source>
        <translation>本菜单 %1 秒无操作将自动关闭。</translation>
    </message>
    <message>
        <location filename="../render.py" line="125"/>
        <source>Reserved numbers left: %1</source>
        <translation>剩余预留号：%1</translation>
    </message>
    <message>
        <location filename="../render.py" line="126"/>
        <source>Offline tickets not yet sent: %1</source>
        <translation>未上传的离线票：%1</translation>
    </message>
    <message>
        <location filename="../messages.py" line="23"/>
        <source>The system is busy, please try again in a moment</source>
        <translation>系统繁忙，请稍后再试</translation>
    </message>
    <message>
        <location filename="../messages.py" line="26"/>
        <source>No ticket can be issued now: the hall server does not answer. Please go to the service desk</source>
        <translation>暂时无法取号：连接不上叫号服务器，请到服务台</translation>
    </message>
    <message>
        <location filename="../messages.py" line="28"/>
        <source>Cannot reach the hall server (%1)</source>
        <translation>连接不上叫号服务器 (%1)</translation>
    </message>
    <message>
        <location filename="../messages.py" line="35"/>
        <source>Your ticket could not be printed, please go to the service desk</source>
        <translation>出票失败，请到服务台</translation>
    </message>
    <message>
        <location filename="../messages.py" line="43"/>
        <source>Tickets from %1</source>
        <translation>%1 开始取号</translation>
    </message>
    <message>
        <location filename="../messages.py" line="44"/>
        <location filename="../widgets.py" line="49"/>
        <source>Closed for today</source>
        <translation>今日已停止取号</translation>
    </message>
    <message>
        <location filename="../messages.py" line="46"/>
        <source>Opening hours: %1</source>
        <translation>办理时间：%1</translation>
    </message>
    <message>
        <location filename="../messages.py" line="47"/>
        <source>This service is not taking tickets now</source>
        <translation>该业务现在不能取号</translation>
    </message>
    <message>
        <location filename="../messages.py" line="50"/>
        <source>All of today&apos;s tickets for this service have been taken</source>
        <translation>该业务今日号源已取完</translation>
    </message>
    <message>
        <location filename="../messages.py" line="51"/>
        <source>Please come back on the next working day, or ask at the service desk</source>
        <translation>请下个工作日再来，或到服务台咨询</translation>
    </message>
    <message>
        <location filename="../messages.py" line="55"/>
        <source>No appointment found with this code</source>
        <translation>未找到该预约</translation>
    </message>
    <message>
        <location filename="../messages.py" line="56"/>
        <source>Please check the code, or ask at the service desk</source>
        <translation>请核对预约号，或到服务台咨询</translation>
    </message>
    <message>
        <location filename="../messages.py" line="59"/>
        <source>Your appointment is not for today</source>
        <translation>您的预约不是今天</translation>
    </message>
    <message>
        <location filename="../messages.py" line="60"/>
        <source>Appointment date: %1</source>
        <translation>预约日期：%1</translation>
    </message>
    <message>
        <location filename="../messages.py" line="63"/>
        <source>It is too early to check in</source>
        <translation>还未到签到时间</translation>
    </message>
    <message>
        <location filename="../messages.py" line="64"/>
        <source>Your appointment is at %1. Please check in from %2 minutes before.</source>
        <translation>您的预约时间是 %1，请在预约时间前 %2 分钟内签到</translation>
    </message>
    <message>
        <location filename="../messages.py" line="69"/>
        <source>No technician PIN is set: the technician menu cannot be opened</source>
        <translation>未设置技术人员密码，无法打开维护菜单</translation>
    </message>
    <message>
        <location filename="../messages.py" line="70"/>
        <source>Tickets are still issued. To set the PIN, run this on the kiosk PC, then restart the kiosk:</source>
        <translation>取号不受影响。设置密码：在本机终端运行以下命令，然后重启取号机：</translation>
    </message>
    <message>
        <location filename="../messages.py" line="74"/>
        <source>The green channel is not available at this kiosk, please ask at the service desk</source>
        <translation>本机暂不提供绿色通道，请到服务台咨询</translation>
    </message>
    <message>
        <location filename="../messages.py" line="75"/>
        <source>For staff: no green-channel staff PIN is set. A technician runs:</source>
        <translation>工作人员请注意：未设置绿色通道确认密码。请技术人员运行：</translation>
    </message>
    <message>
        <location filename="../messages.py" line="78"/>
        <source>Something went wrong, please go to the service desk</source>
        <translation>出现问题，请到服务台</translation>
    </message>
    <message>
        <location filename="../messages.py" line="85"/>
        <source>The hall server has not answered for more than %1 minutes. Tickets are issued again as soon as it answers.</source>
        <translation>叫号服务器已超过 %1 分钟无响应。服务器恢复后自动恢复取号。</translation>
    </message>
    <message>
        <location filename="../messages.py" line="89"/>
        <source>This kiosk&apos;s reserved numbers are used up. Tickets are issued again as soon as the hall server answers.</source>
        <translation>本机预留号码已用完。叫号服务器恢复后自动恢复取号。</translation>
    </message>
    <message>
        <location filename="../messages.py" line="91"/>
        <source>The hall server does not answer and this kiosk holds no reserved numbers. Tickets are issued again as soon as it answers.</source>
        <translation>连接不上叫号服务器，本机没有预留号码。服务器恢复后自动恢复取号。</translation>
    </message>
    <message>
        <location filename="../messages.py" line="96"/>
        <source>Offline: tickets are still issued</source>
        <translation>离线取号中，号码照常有效</translation>
    </message>
    <message>
        <location filename="../messages.py" line="106"/>
        <source>Try again in %1 min</source>
        <translation>请 %1 分钟后再试</translation>
    </message>
    <message>
        <location filename="../messages.py" line="108"/>
        <source>Try again in %1 s</source>
        <translation>请 %1 秒后再试</translation>
    </message>
    <message>
        <location filename="../messages.py" line="109"/>
        <source>Too many wrong PINs: the PIN pad is locked.</source>
        <translation>密码错误次数过多，密码键盘已锁定。</translation>
    </message>
    <message>
        <location filename="../messages.py" line="114"/>
        <source>%1 more wrong PIN(s) lock the PIN pad</source>
        <translation>再错 %1 次将锁定密码键盘</translation>
    </message>
    <message>
        <location filename="../screens.py" line="17"/>
        <source>Monday</source>
        <translation>星期一</translation>
    </message>
    <message>
        <location filename="../screens.py" line="17"/>
        <source>Tuesday</source>
        <translation>星期二</translation>
    </message>
    <message>
        <location filename="../screens.py" line="17"/>
        <source>Wednesday</source>
        <translation>星期三</translation>
    </message>
    <message>
        <location filename="../screens.py" line="18"/>
        <source>Thursday</source>
        <translation>星期四</translation>
    </message>
    <message>
        <location filename="../screens.py" line="18"/>
        <source>Friday</source>
        <translation>星期五</translation>
    </message>
    <message>
        <location filename="../screens.py" line="18"/>
        <source>Saturday</source>
        <translation>星期六</translation>
    </message>
    <message>
        <location filename="../screens.py" line="19"/>
        <source>Sunday</source>
        <translation>星期日</translation>
    </message>
    <message>
        <location filename="../screens.py" line="23"/>
        <source>%1/%2 %3</source>
        <translation>%1月%2日 %3</translation>
    </message>
    <message>
        <location filename="../screens.py" line="155"/>
        <source>Back to normal tickets</source>
        <translation>退出绿色通道</translation>
    </message>
    <message>
        <location filename="../screens.py" line="155"/>
        <source>Green channel</source>
        <translation>绿色通道</translation>
    </message>
    <message>
        <location filename="../screens.py" line="157"/>
        <source>Standard mode</source>
        <translation>标准模式</translation>
    </message>
    <message>
        <location filename="../screens.py" line="157"/>
        <source>Large text</source>
        <translation>长者模式 大字</translation>
    </message>
    <message>
        <location filename="../screens.py" line="182"/>
        <source>Green channel: priority tickets for the elderly, the disabled, service members and pregnant women. Tap the service you need.</source>
        <translation>绿色通道：老年人、残疾人、军人、孕妇优先办理。请点击您要办理的业务</translation>
    </message>
    <message>
        <location filename="../screens.py" line="185"/>
        <source>Tap the service you need to take a ticket</source>
        <translation>请点击您要办理的业务取号</translation>
    </message>
    <message>
        <location filename="../messages.py" line="31"/>
        <location filename="../screens.py" line="190"/>
        <source>Ticket issue paused, please go to the service desk</source>
        <translation>暂停取号，请到服务台</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="71"/>
        <source>%1 items</source>
        <translation>%1项</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="160"/>
        <location filename="../screens.py" line="160"/>
        <source>Service guide</source>
        <translation>办事指南</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="161"/>
        <source>By zone</source>
        <translation>按专区</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="162"/>
        <source>By department</source>
        <translation>按部门</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="169"/>
        <source>Search results</source>
        <translation>查找结果</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="173"/>
        <source>Tap an area, or type the pinyin initials of the item</source>
        <translation>请点击专区，或输入事项的拼音首字母</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="181"/>
        <source>Nothing found. Delete a letter, or ask at the service desk.</source>
        <translation>没有找到。请删去一个字母，或到服务台咨询。</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="187"/>
        <location filename="../screens.py" line="226"/>
        <source>◀ Previous page</source>
        <translation>◀ 上一页</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="188"/>
        <location filename="../screens.py" line="227"/>
        <source>Next page ▶</source>
        <translation>下一页 ▶</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="189"/>
        <location filename="../screens.py" line="228"/>
        <source>Page %1 of %2</source>
        <translation>第 %1/%2 页</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="192"/>
        <source>Search: type pinyin initials, e.g. BDC for 不动产登记</source>
        <translation>查找：输入拼音首字母，如不动产登记输入 BDC</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="195"/>
        <source>Back to tickets</source>
        <translation>返回取号</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="204"/>
        <source>windows %1</source>
        <translation>%1号窗口</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="293"/>
        <source>Department: %1</source>
        <translation>办理部门：%1</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="296"/>
        <source>Where: %1</source>
        <translation>办理地点：%1</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="299"/>
        <source>Time limit: %1</source>
        <translation>承诺时限：%1</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="300"/>
        <source>Fee: %1</source>
        <translation>收费标准：%1</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="306"/>
        <source>Print the checklist</source>
        <translation>打印材料清单</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="325"/>
        <source>Materials to bring (%1)</source>
        <translation>申请材料（%1项）</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="332"/>
        <source>Can be shared electronically</source>
        <translation>可电子证照共享</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="336"/>
        <source>No materials needed</source>
        <translation>无需提交材料</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="337"/>
        <source>Steps</source>
        <translation>办理流程</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="338"/>
        <source>Who can apply</source>
        <translation>申请条件</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="338"/>
        <source>Please note</source>
        <translation>注意事项</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="339"/>
        <source>Legal basis</source>
        <translation>设定依据</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="344"/>
        <source>Enquiries: %1</source>
        <translation>咨询电话：%1</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="346"/>
        <source>Sample text: ask at the window for the hall&apos;s own guide</source>
        <translation>示例文本，以窗口告知为准</translation>
    </message>
    <message>
        <location filename="../screens.py" line="272"/>
        <source>Take a green channel ticket for</source>
        <translation>绿色通道取号</translation>
    </message>
    <message>
        <location filename="../screens.py" line="272"/>
        <source>Take a ticket for</source>
        <translation>您要办理的业务</translation>
    </message>
    <message>
        <location filename="../screens.py" line="275"/>
        <source>Yes, print my ticket</source>
        <translation>确认取号</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="194"/>
        <location filename="../guide_screens.py" line="309"/>
        <location filename="../screens.py" line="276"/>
        <location filename="../screens.py" line="387"/>
        <location filename="../screens.py" line="460"/>
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <location filename="../screens.py" line="291"/>
        <source>Printing your ticket, please wait…</source>
        <translation>正在出票，请稍候…</translation>
    </message>
    <message>
        <location filename="../screens.py" line="342"/>
        <source>Your number</source>
        <translation>您的号码</translation>
    </message>
    <message>
        <location filename="../screens.py" line="344"/>
        <source>Green channel ticket</source>
        <translation>绿色通道</translation>
    </message>
    <message>
        <location filename="../screens.py" line="344"/>
        <source>Appointment ticket</source>
        <translation>预约号</translation>
    </message>
    <message>
        <location filename="../screens.py" line="348"/>
        <source>Please take your ticket</source>
        <translation>请取票</translation>
    </message>
    <message>
        <location filename="../screens.py" line="353"/>
        <source>About %1 people ahead (offline estimate)</source>
        <translation>前方约%1人（离线估计）</translation>
    </message>
    <message>
        <location filename="../screens.py" line="355"/>
        <source>Offline ticket: people ahead not known yet</source>
        <translation>离线票：前方人数暂不可知</translation>
    </message>
    <message>
        <location filename="../screens.py" line="357"/>
        <source>People ahead of you: %1</source>
        <translation>前面还有 %1 人</translation>
    </message>
    <message>
        <location filename="../screens.py" line="358"/>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <location filename="../screens.py" line="361"/>
        <source>Back to the start in %1 s</source>
        <translation>%1 秒后返回首页</translation>
    </message>
    <message>
        <location filename="../screens.py" line="497"/>
        <source>Technician</source>
        <translation>技术人员</translation>
    </message>
    <message>
        <location filename="../screens.py" line="499"/>
        <source>Exit the kiosk</source>
        <translation>退出取号机程序</translation>
    </message>
    <message>
        <location filename="../screens.py" line="500"/>
        <source>Back to the kiosk</source>
        <translation>返回取号界面</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="47"/>
        <source>Not open now · tickets from %1</source>
        <translation>暂未开始 · %1 开始取号</translation>
    </message>
    <message>
        <location filename="../guide_mode.py" line="173"/>
        <source>Printing the checklist…</source>
        <translation>正在打印材料清单…</translation>
    </message>
    <message>
        <location filename="../guide_mode.py" line="182"/>
        <source>Please take your checklist</source>
        <translation>请取走材料清单</translation>
    </message>
    <message>
        <location filename="../guide_mode.py" line="185"/>
        <source>The checklist did not print; please ask the staff</source>
        <translation>材料清单未能打印，请联系工作人员</translation>
    </message>
    <message>
        <location filename="../guide_mode.py" line="228"/>
        <source>No tickets for this item here</source>
        <translation>本机不能取此事项的号</translation>
    </message>
    <message>
        <location filename="../guide_mode.py" line="230"/>
        <location filename="../widgets.py" line="51"/>
        <source>No tickets left today</source>
        <translation>今日号源已取完</translation>
    </message>
    <message>
        <location filename="../guide_mode.py" line="232"/>
        <source>Take a ticket (%1 waiting)</source>
        <translation>取号（%1人等候）</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="53"/>
        <source>Called first · %1 waiting</source>
        <translation>优先叫号 · 当前等候 %1 人</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="55"/>
        <source>No wait</source>
        <translation>无需等待</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="56"/>
        <source>%1 waiting · about %2 min</source>
        <translation>等候 %1 人 · 约 %2 分钟</translation>
    </message>
    <message>
        <location filename="../guide_screens.py" line="41"/>
        <location filename="../widgets.py" line="142"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="144"/>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="146"/>
        <source>123 digits</source>
        <translation>123 数字</translation>
    </message>
    <message>
        <location filename="../widgets.py" line="146"/>
        <source>ABC letters</source>
        <translation>ABC 字母</translation>
    </message>
</context>
</TS>
